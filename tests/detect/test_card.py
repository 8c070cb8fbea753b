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


def write_clues(folder: Path, clues: str) -> Path:
    path = write(folder)
    path.write_text(path.read_text().replace("person = [0]\n", f"person = [0]\nclues = {clues}\n"))
    return path


def test_clues_are_read_and_survive_a_round_trip(model_dir: Path) -> None:
    card = ModelCard.load(write_clues(model_dir, "[24, 33]"))
    assert card.clue_ids == (24, 33)
    assert ModelCard.load(card.write(model_dir / "again.card.toml")).clue_ids == (24, 33)


def test_a_card_without_clues_has_none(model_dir: Path) -> None:
    assert ModelCard.load(write(model_dir)).clue_ids == ()


@pytest.mark.parametrize(
    ("clues", "message"),
    [
        ("[0, 33]", r"clues \[0\] are also person ids"),
        ('["kite"]', "clues must list class ids"),
        ("[-1]", "clues must list class ids"),
        ("33", "clues must list class ids"),
    ],
)
def test_wrong_clues_are_one_clear_error(model_dir: Path, clues: str, message: str) -> None:
    with pytest.raises(ModelError, match=message):
        ModelCard.load(write_clues(model_dir, clues))


def test_clue_beyond_the_names_is_refused(model_dir: Path) -> None:
    path = write_clues(model_dir, "[5]")
    path.write_text(path.read_text().replace("clues = [5]\n", 'clues = [5]\nnames = ["person", "kite"]\n'))
    with pytest.raises(ModelError, match="beyond the 2 names"):
        ModelCard.load(path)


@pytest.mark.parametrize(
    ("class_id", "name"),
    [
        (24, "backpack"),
        (25, "umbrella"),
        (26, "handbag"),
        (28, "suitcase"),
        (30, "skis"),
        (31, "snowboard"),
        (33, "kite"),
        (37, "surfboard"),
    ],
)
def test_default_card_clues_name_the_classes_its_comment_gives(class_id: int, name: str) -> None:
    card = find_card()
    assert class_id in card.clue_ids and card.class_names[class_id] == name
    assert len(card.clue_ids) == 8


def test_a_drafted_card_leaves_clues_empty_and_says_what_they_are(model_dir: Path, tmp_path: Path) -> None:
    from sartriage.detect.inspect import draft_card

    card = draft_card(model_dir / "tiny.onnx", tmp_path / "draft.card.toml")
    text = card.path.read_text()
    assert "\nclues = []\n" in text
    comment = text[: text.index("\nclues = []")].rsplit("[classes]", 1)[1]
    assert "# clues:" in comment and "backpack 24" in comment and "kite 33" in comment
    assert ModelCard.load(card.path).clue_ids == ()
