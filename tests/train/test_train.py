"""`sartriage train` on a handful of real thermal frames: a model that loads, detects, resumes, repeats."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from sartriage.cli import main
from sartriage.detect import Detector, find_card
from sartriage.detect.card import sha256_of
from sartriage.evaluate.matching import match
from sartriage.frames import open_frame
from sartriage.train.data import read_dataset
from sartriage.train.run import TrainOptions, train

pytestmark = pytest.mark.filterwarnings("ignore::sartriage.errors.SartriageWarning")
PACK = "train/hit_uav"


@pytest.fixture(scope="module")
def tiny_pack(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Eight pack frames with people at 60 m (six to train on, two to validate), in the pack's layout."""
    source = shared_data / PACK
    folder = tmp_path_factory.mktemp("pack") / "hit_uav"
    (folder / "images").mkdir(parents=True)
    (folder / "labels").mkdir()
    stems = sorted(p.stem for p in (source / "labels").glob("1_60_*.txt") if p.read_text().startswith("0 "))[
        :8
    ]
    for stem in stems:
        shutil.copyfile(source / "images" / f"{stem}.jpg", folder / "images" / f"{stem}.jpg")
        shutil.copyfile(source / "labels" / f"{stem}.txt", folder / "labels" / f"{stem}.txt")
    shutil.copyfile(source / "classes.txt", folder / "classes.txt")
    shutil.copyfile(source / "ATTRIBUTION.md", folder / "ATTRIBUTION.md")
    split = [f"images/{s}.jpg {'val' if i >= 6 else 'train'}" for i, s in enumerate(stems)]
    (folder / "split.txt").write_text("\n".join(split) + "\n")
    return folder


def options(pack: Path, out: Path, run_dir: Path, epochs: int = 3) -> TrainOptions:
    return TrainOptions(data=(pack,), out=out, run_dir=run_dir, epochs=epochs, seed=7, threads=2)


def test_a_trained_model_loads_like_the_default_and_finds_people(tiny_pack: Path, tmp_path: Path) -> None:
    result = train(options(tiny_pack, tmp_path / "thermal.onnx", tmp_path / "run"))
    card = find_card(tmp_path / "thermal.onnx")  # the card beside it, sha256 checked
    assert card.imagery == ("thermal",) and card.person_ids == (0,)
    assert card.training["epochs"] == 3 and card.training["seed"] == 7
    assert card.training["data"][0]["licence"].startswith("Creative Commons Attribution 4.0")
    assert "CC BY 4.0" in card.licence or "Creative Commons" in card.licence
    assert 0.05 <= card.thresholds.review <= card.thresholds.flag <= 0.95
    assert result.validation["persons"] > 0

    detector = Detector.open(card, device="cpu")
    [sample] = [s for s in read_dataset(tiny_pack) if s.split == "train"][:1]
    with open_frame(sample.image) as frame:
        found = detector.detect(frame).detections
    best = found[np.argsort(-found.scores)[:3]]
    assert match(best.xyxy, best.scores, sample.persons).any()  # a labelled person among the three best boxes


def test_an_interrupted_run_carries_on_and_a_rerun_repeats_it(tiny_pack: Path, tmp_path: Path) -> None:
    whole = train(options(tiny_pack, tmp_path / "a" / "m.onnx", tmp_path / "run_a", epochs=2))

    def interrupt_at(stage: str, after: int):  # type: ignore[no-untyped-def]
        def progress(now: str, done: int, total: int, note: str) -> None:
            if now.startswith(stage) and done >= after:
                raise KeyboardInterrupt

        return progress

    resumed = options(tiny_pack, tmp_path / "b" / "m.onnx", tmp_path / "run_b", epochs=2)
    for stage, after in (("epoch 2/2", 1), ("hard negatives", 2)):  # Ctrl-C mid-epoch, then mid-mining
        with pytest.raises(KeyboardInterrupt):
            train(resumed, interrupt_at(stage, after))
    finished = train(resumed)
    checkpoints = sorted(p.name for p in (tmp_path / "run_b" / "head").iterdir())
    assert checkpoints == ["epoch_001.npz", "epoch_002.npz"]
    assert sha256_of(finished.model) == sha256_of(whole.model)  # same seed, same bytes


def test_the_command_line_trains_and_refuses_a_run_folder_of_other_data(
    tiny_pack: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cli.onnx"
    args = ["train", str(tiny_pack), "--out", str(out), "--run-dir", str(tmp_path / "run"), "--epochs", "1"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "validation (2 images" in printed and f"model written to {out}" in printed
    first = sorted((tiny_pack / "images").iterdir())[0].name
    assert main([*args, "--exclude", first]) == 1
    assert "started with other data" in capsys.readouterr().err
