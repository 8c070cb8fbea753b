from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sartriage.detect.card import ModelCard, find_card
from sartriage.errors import ModelError

CARD = """
[model]
file = "tiny.onnx"
sha256 = "{sha}"
family = "{family}"

[input]
name = "images"
layout = "NCHW"
width = 416
height = 416
colour = "BGR"

[classes]
person = [0]

[thresholds]
review = {review}
flag = 0.6
"""


@pytest.fixture
def model_dir(tmp_path: Path, shared_models: Path) -> Path:
    shutil.copy(shared_models / "yolox_nano_416_coco.onnx", tmp_path / "tiny.onnx")
    return tmp_path


def write(folder: Path, sha: str = "", family: str = "yolox", review: float = 0.3) -> Path:
    path = folder / "tiny.card.toml"
    path.write_text(CARD.format(sha=sha, family=family, review=review))
    return path


def test_card_beside_the_model_is_found_and_verified(model_dir: Path) -> None:
    from sartriage.detect.card import sha256_of

    write(model_dir, sha=sha256_of(model_dir / "tiny.onnx"))
    card = find_card(model_dir / "tiny.onnx")
    assert card.family == "yolox" and card.input.colour == "BGR" and card.person_ids == (0,)
    assert card.thresholds.review == pytest.approx(0.3)
    assert card.model_path == (model_dir / "tiny.onnx").resolve()


def test_round_trip_keeps_every_field(model_dir: Path, tmp_path: Path) -> None:
    card = ModelCard.load(write(model_dir))
    again = ModelCard.load(card.write(model_dir / "again.card.toml"))
    assert again.to_dict() == card.to_dict()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sha": "0" * 64}, "does not match its card"),
        ({"family": "detr"}, "family = 'detr', expected one of"),
        ({"review": 1.5}, r"outside \[0.0, 1.0\]"),
        ({"review": 0.9}, "flag .* is below review"),
    ],
)
def test_wrong_card_is_one_clear_error(model_dir: Path, kwargs: dict, message: str) -> None:
    write(model_dir, **kwargs)
    with pytest.raises(ModelError, match=message):
        find_card(model_dir / "tiny.onnx")


def test_missing_card_says_how_to_draft_one(model_dir: Path) -> None:
    with pytest.raises(ModelError, match="sartriage model inspect"):
        find_card(model_dir / "tiny.onnx")


def test_broken_toml_names_the_card(model_dir: Path) -> None:
    (model_dir / "tiny.card.toml").write_text("[model\nfile=")
    with pytest.raises(ModelError, match=r"tiny\.card\.toml: not valid TOML"):
        find_card(model_dir / "tiny.card.toml")


def test_missing_model_file(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="model file not found"):
        find_card(tmp_path / "nothing.onnx")
