"""The shipped ONNX models and their cards, found inside the package (checkout, wheel or frozen bundle)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

RGB_PERSON = "centernet_mobilenetv3_512.onnx"
THERMAL_PERSON = "thermal_person_centernet.onnx"


def shipped(name: str) -> Path:
    """The path of a model shipped in this package (it may not exist in a broken install)."""
    return Path(str(files(__package__).joinpath(name)))
