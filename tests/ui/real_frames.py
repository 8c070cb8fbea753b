"""Real frames from ../shared and a real detector for the app's tests."""

from __future__ import annotations

import shutil
from pathlib import Path

from sartriage.detect.inspect import draft_card

LACMUS = "geotagged/lacmus_ladd_335/335.jpg"
XT2 = ("geotagged/deervision_dji_xt2/DJI_0002_R.JPG", "geotagged/deervision_dji_xt2/DJI_0004_R.JPG")
# The Lacmus photo's two people score about 0.41 and 0.36 with NanoDet-m: a flag threshold under
# both (set as the coordinator does, Scan ▸ Thresholds) sends their tiles straight to the coordinator.
FLAG_THRESHOLD = 0.33


def make_model(shared_models: Path, folder: Path) -> Path:
    """NanoDet-m (real, from ../shared) with the card `sartriage model inspect` drafts for it."""
    folder.mkdir(parents=True, exist_ok=True)
    model = folder / "nanodet_m_416_coco.onnx"
    shutil.copyfile(shared_models / model.name, model)
    draft_card(model)
    return model


def flight_folder(shared_data: Path, folder: Path, names: tuple[str, ...]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copyfile(shared_data / name, folder / Path(name).name)
    return folder
