"""`sartriage learn`: a mission scanned from real photos of people, decided by a coordinator who checks
each hit against the photos' labels, trains a mission model that loads, detects and scores the tiles
still waiting for volunteers."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from scan_support import make_card

from sartriage import hits
from sartriage.cli import main
from sartriage.detect import Detector, find_card
from sartriage.errors import SartriageError
from sartriage.evaluate import read_labels
from sartriage.evaluate.matching import points_inside
from sartriage.scan import ScanOptions, scan
from sartriage.store import open_store
from sartriage.train.cells import Cells
from sartriage.train.graph import CELL_CHANNELS, PERSON_LOGIT
from sartriage.train.head import Head
from sartriage.train.mission import held_out_frames, learn, why_it_may_not_clear

pytestmark = pytest.mark.filterwarnings("ignore::sartriage.errors.SartriageWarning")
HERIDAL = "labelled/heridal_crops_340"
FRAMES = 14


@pytest.fixture(scope="module")
def decided(shared_data: Path, shared_models: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A mission of 14 real HERIDAL photos of people; every candidate hit confirmed where a labelled
    person is under it and rejected elsewhere, as a coordinator looking at the picture would."""
    root = tmp_path_factory.mktemp("mission")
    card = root / "card"
    images = sorted((shared_data / HERIDAL / "images").glob("*.jpg"))[:FRAMES]
    card.mkdir()
    for image in images:
        shutil.copyfile(image, card / image.name)
    labels = {
        entry.image.name: entry.boxes
        for entry in read_labels(shared_data / HERIDAL / "images", shared_data / HERIDAL / "labels", "voc")
    }
    (root / "model").mkdir()
    detector = Detector.open(make_card(shared_models, root / "model"), device="cpu", threads=2)
    db = root / "mission.sqlite"
    with open_store(db) as store:
        list(scan(store, card, detector, ScanOptions(review=0.05, flag=0.3, quality_share=0)))
        for hit in hits.list_hits(store):
            boxes = labels[Path(hit.frame_path).name]
            under = points_inside(np.array(hit.x), np.array(hit.y), boxes)
            (hits.confirm if under.any() else hits.reject)(store, hit.id)
    return db


def test_a_mission_model_is_trained_on_the_decisions_and_scores_the_waiting_tiles(
    decided: Path, tmp_path: Path
) -> None:
    with open_store(decided) as store:
        confirmed = hits.counts(store)["confirmed"]
        learned = learn(store, tmp_path / "mission.onnx", tmp_path / "run", epochs=2, threads=2)
    assert confirmed >= 3 and learned.data.positives >= 3
    reviewed = learned.frames_trained + learned.frames_held_out
    assert learned.frames_held_out == max(1, round(reviewed * 0.2)) and learned.frames_trained >= 1
    print("\n" + "\n".join(learned.describe()))
    card = find_card(tmp_path / "mission.onnx")  # the card beside it, sha256 checked
    assert learned.imagery == "rgb" and card.training["command"].startswith("sartriage learn --db ")
    # two held-out people cannot vouch for a threshold: the model may flag and order tiles, never clear
    assert card.imagery == () and "clears no tile" in card.weaknesses
    assert learned.before and learned.after  # held-out people scored by the shipped model and the new one
    # the epoch kept is the one that scored best on the held-out frames, and the card says which
    assert card.training["validation"]["checkpoint"].startswith("head")
    assert card.training["validation"]["ap"] == pytest.approx(learned.after["ap"], abs=1e-4)
    assert 0 <= learned.after["ap"] <= 1 and learned.after["persons"] == learned.before["persons"] > 0
    waiting = learned.rescored
    assert waiting.tiles > 0 and not waiting.unread
    assert waiting.would_clear == 0 and waiting.would_flag <= waiting.tiles
    assert [s for _, _, s in waiting.best] == sorted((s for _, _, s in waiting.best), reverse=True)
    text = "\n".join(learned.describe())
    assert "before: ap=" in text and "after: ap=" in text and "but clears none" in text


def test_the_held_out_frames_are_the_same_every_run_and_never_all() -> None:
    hashes = {i: f"{i:064x}" for i in range(10)}
    assert held_out_frames(hashes, 0.2) == held_out_frames(dict(reversed(hashes.items())), 0.2)
    assert len(held_out_frames(hashes, 0.2)) == 2
    assert held_out_frames({1: "a"}, 0.2) == set()  # one frame: nothing to hold out


def test_the_command_prints_the_figures_and_how_to_use_the_model(
    decided: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "mission.onnx"
    argv = [
        "learn",
        "--db",
        str(decided),
        "--out",
        str(out),
        "--run-dir",
        str(tmp_path / "run"),
        "--epochs",
        "1",
    ]
    assert main([*argv, "--threads", "2"]) == 0
    printed = capsys.readouterr().out
    assert f"scan the next flights with --model {out}" in printed and "reviewed tiles: " in printed
    assert np.isfinite(find_card(out).thresholds.review)


def test_a_mission_with_no_decision_yet_is_one_clear_line(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "empty.sqlite"
    open_store(db).close()
    assert main(["learn", "--db", str(db), "--out", str(tmp_path / "m.onnx")]) == 1
    assert "no reviewed tile with a person box in this mission yet" in capsys.readouterr().err


def test_holding_every_decided_frame_out_is_one_clear_line(decided: Path, tmp_path: Path) -> None:
    with (
        open_store(decided) as store,
        pytest.raises(SartriageError, match="every reviewed person is on a frame held"),
    ):
        learn(store, tmp_path / "m.onnx", tmp_path / "run", held_out=0.99)


def test_a_head_started_from_the_base_scores_as_the_base_model_does() -> None:
    """Before any training, a mission head is the base model's own person logit, exactly."""
    rng = np.random.default_rng(3)
    features = rng.normal(0, 2, (500, CELL_CHANNELS * 3)).astype(np.float16)
    cells = Cells(features, (rng.random(500) < 0.2).astype(np.int8), np.full((500, 2), 3.0), np.zeros(500))
    head = Head.initial(cells, seed=1, keep=PERSON_LOGIT)
    scores = head.score_features(features.astype(np.float32).T)
    base = 1 / (1 + np.exp(-features[:, PERSON_LOGIT].astype(np.float32)))
    np.testing.assert_allclose(scores, base, atol=2e-3)
    assert not np.allclose(Head.initial(cells, seed=1).score_features(features.astype(np.float32).T), base)


def test_a_mission_model_may_clear_only_when_enough_people_vouch_that_it_misses_no_more() -> None:
    shipped = {"ap": 0.70, "recall": 0.90}
    assert "fewer than the 30" in why_it_may_not_clear(12, shipped, {"ap": 0.95, "recall": 1.0})
    assert "worse than the shipped" in why_it_may_not_clear(40, shipped, {"ap": 0.65, "recall": 0.95})
    assert "worse than the shipped" in why_it_may_not_clear(40, shipped, {"ap": 0.80, "recall": 0.85})
    assert why_it_may_not_clear(40, shipped, {"ap": 0.80, "recall": 0.90}) == ""
