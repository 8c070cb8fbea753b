from __future__ import annotations

import re
from pathlib import Path

import pytest

from sartriage.cli import main
from sartriage.detect.inspect import draft_card

FINAL = re.compile(r"^recall=(\S+) precision=(\S+) ap=(\S+) per_image=(\S+)$")
# two HERIDAL crops with one person each, one crop with nobody
CROPS = ("train_BLA_0001_6_20", "train_BLA_0001_7_20", "train_BLA_0004_14_10")


@pytest.fixture
def small_set(shared_data: Path, tmp_path: Path) -> Path:
    source = shared_data / "labelled/heridal_crops_340"
    for sub in ("images", "labels"):
        (tmp_path / sub).mkdir()
    for stem in CROPS:
        (tmp_path / "images" / f"{stem}.jpg").symlink_to(source / "images" / f"{stem}.jpg")
        label = source / "labels" / f"{stem}.xml"
        if label.exists():
            (tmp_path / "labels" / f"{stem}.xml").symlink_to(label)
    return tmp_path


def test_eval_prints_figures_and_the_script_line(
    small_set: Path, shared_models: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    card = draft_card(shared_models / "yolox_nano_416_coco.onnx", tmp_path / "yolox.card.toml")
    args = [
        "eval",
        str(small_set / "images"),
        "--labels",
        str(small_set / "labels"),
        "--model",
        str(card.path),
    ]
    code = main([*args, "--threshold", "0.3", "--device", "cpu", "--threads", "1"])
    assert code == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert "3 images, 2 people" in lines[0]
    recall, precision, ap, per_image = (float(v) for v in FINAL.match(lines[-1]).groups())  # type: ignore[union-attr]
    assert recall == 1.0 and ap == 1.0  # YOLOX-Nano finds both people (see tests/detect/test_adapters.py)
    assert 0 < precision <= 1 and per_image >= 2 / 3


def test_eval_with_missing_labels_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["eval", str(tmp_path), "--labels", str(tmp_path / "nope.json")]) == 1
    err = capsys.readouterr().err
    assert "nope.json: label file or folder not found" in err and "Traceback" not in err


def test_a_damaged_image_is_left_out_and_the_rest_is_scored(
    small_set: Path, shared_models: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (small_set / "images" / "damaged.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    card = draft_card(shared_models / "yolox_nano_416_coco.onnx", tmp_path / "yolox.card.toml")
    args = [
        "eval",
        str(small_set / "images"),
        "--labels",
        str(small_set / "labels"),
        "--model",
        str(card.path),
    ]
    assert main([*args, "--device", "cpu", "--threads", "1"]) == 0
    out = capsys.readouterr().out
    assert "1 images could not be read" in out and FINAL.match(out.strip().splitlines()[-1])
