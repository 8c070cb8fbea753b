from __future__ import annotations

from pathlib import Path

import pytest

from sartriage.cli import main
from sartriage.detect.card import ModelCard


def test_inspect_writes_a_draft_card_that_loads(
    shared_models: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "nanodet.card.toml"
    assert main(["model", "inspect", str(shared_models / "nanodet_m_416_coco.onnx"), "--out", str(out)]) == 0
    card = ModelCard.load(out)
    assert (
        card.family == "nanodet" and card.model_path == (shared_models / "nanodet_m_416_coco.onnx").resolve()
    )
    assert "family nanodet" in capsys.readouterr().out


def test_inspect_defaults_to_beside_the_model(shared_models: Path, tmp_path: Path) -> None:
    model = tmp_path / "yolox.onnx"
    model.symlink_to(shared_models / "yolox_nano_416_coco.onnx")
    assert main(["model", "inspect", str(model)]) == 0
    assert ModelCard.load(tmp_path / "yolox.card.toml").family == "yolox"


def test_missing_model_is_one_line_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["model", "inspect", str(tmp_path / "none.onnx")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "none.onnx: model file not found" in err and "Traceback" not in err
