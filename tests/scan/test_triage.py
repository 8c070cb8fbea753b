from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scan_support import copy_frames
from sqlalchemy import select

from sartriage.detect import Detector
from sartriage.detect.card import ModelCard
from sartriage.detect.tiling import Tile
from sartriage.scan import ScanOptions, scan
from sartriage.scan.triage import TriageRules, quality_draw, triage_tiles
from sartriage.store import open_store, schema

RULES = TriageRules(review=0.25, flag=0.6, quality_share=0.0)


def grid(n: int) -> list[Tile]:
    return [Tile(x=(i % 50) * 100, y=(i // 50) * 100, w=416, h=416) for i in range(n)]


@pytest.mark.parametrize(
    ("score", "state"),
    [
        (0.0, "cleared"),
        (0.2499, "cleared"),
        (0.25, "review"),
        (0.5999, "review"),
        (0.6, "flagged"),
        (1.0, "flagged"),
    ],
)
def test_states_follow_the_thresholds(score: float, state: str) -> None:
    result = triage_tiles(np.array([score]), grid(1), "ab" * 32, RULES)
    assert list(result.states) == [state]
    assert not result.quality_check.any()


def test_quality_checks_are_a_share_of_cleared_tiles_only() -> None:
    tiles = grid(5000)
    scores = np.where(np.arange(5000) % 10 == 0, 0.9, 0.01)  # every tenth tile flagged
    rules = TriageRules(review=0.25, flag=0.6, quality_share=0.02)
    result = triage_tiles(scores, tiles, "cd" * 32, rules)
    checked = result.quality_check
    assert (result.states[checked] == "review").all()
    assert (scores[checked] < rules.review).all()
    assert 0.015 < checked.sum() / (scores < rules.review).sum() < 0.025
    assert (result.states[scores >= 0.6] == "flagged").all()


def test_the_draw_is_the_same_on_every_run_and_differs_between_frames() -> None:
    tiles = grid(2000)
    scores = np.zeros(len(tiles))
    rules = TriageRules(review=0.25, flag=0.6, quality_share=0.05)
    first = triage_tiles(scores, tiles, "ef" * 32, rules).quality_check
    again = triage_tiles(scores, tiles, "ef" * 32, rules).quality_check
    other = triage_tiles(scores, tiles, "01" * 32, rules).quality_check
    assert (first == again).all()
    assert (first != other).any()
    assert 0.0 <= quality_draw("ef" * 32, tiles[0]) < 1.0


def test_no_quality_checks_when_the_share_is_zero() -> None:
    result = triage_tiles(np.zeros(500), grid(500), "ab" * 32, RULES)
    assert not result.quality_check.any()
    assert (result.states == "cleared").all()


def test_thresholds_come_from_the_card_unless_overridden(shared_models: Path, tmp_path: Path) -> None:
    from scan_support import make_card

    card = ModelCard.load(make_card(shared_models, tmp_path))
    assert TriageRules.from_card(card) == TriageRules(card.thresholds.review, card.thresholds.flag, 0.02)
    assert TriageRules.from_card(card, flag=0.9).flag == 0.9
    assert TriageRules.from_card(card, review=0.2, quality_share=0.1) == TriageRules(
        0.2, card.thresholds.flag, 0.1
    )
    # one threshold alone carries the card's other along where they would cross
    assert TriageRules.from_card(card, flag=card.thresholds.review / 2) == TriageRules(
        card.thresholds.review / 2, card.thresholds.review / 2, 0.02
    )
    assert TriageRules.from_card(card, review=0.99).flag == 0.99


@pytest.mark.parametrize(
    ("review", "flag", "share", "words"),
    [(0.7, 0.6, 0.02, "must not be below"), (-0.1, 0.6, 0.02, "review"), (0.2, 0.6, 1.5, "quality share")],
)
def test_impossible_rules_are_refused(review: float, flag: float, share: float, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        TriageRules(review, flag, share)


def test_scores_and_tiles_must_match() -> None:
    with pytest.raises(ValueError, match="2 scores for 1 tiles"):
        triage_tiles(np.zeros(2), grid(1), "ab" * 32, RULES)


@pytest.mark.parametrize(
    ("person", "clue", "state"),
    [
        (0.0, 0.2499, "cleared"),
        (0.0, 0.25, "review"),
        (0.1, 0.99, "review"),  # a clue above the flag threshold still only asks a volunteer
        (0.3, 0.0, "review"),
        (0.6, 0.0, "flagged"),
        (0.6, 0.99, "flagged"),
    ],
)
def test_a_clue_sends_a_tile_to_review_but_never_flags_it(person: float, clue: float, state: str) -> None:
    result = triage_tiles(np.array([person]), grid(1), "ab" * 32, RULES, np.array([clue]))
    assert result.states.tolist() == [state] and not result.quality_check.any()


def test_clue_scores_and_tiles_must_match() -> None:
    with pytest.raises(ValueError, match="3 clue scores for 1 tiles"):
        triage_tiles(np.zeros(1), grid(1), "ab" * 32, RULES, np.zeros(3))


LACMUS = "geotagged/lacmus_ladd_335/335.jpg"
LACMUS_PEOPLE = ((1775, 1640), (1650, 2825))  # lying / sitting on snow, by eye; both score under 0.15 person


@pytest.mark.filterwarnings("ignore::sartriage.errors.SartriageWarning")
def test_people_on_snow_in_a_real_search_photo_reach_the_volunteers(
    shared_data: Path, tmp_path: Path
) -> None:
    detector = Detector.open(device="cpu")
    card = detector.card
    copy_frames(shared_data, tmp_path / "flight", [LACMUS])
    with open_store(tmp_path / "mission.sqlite") as store:
        list(
            scan(
                store,
                tmp_path / "flight",
                detector,
                ScanOptions(rules=TriageRules.from_card(card, quality_share=0)),
            )
        )
        with store.connect() as conn:
            tiles = conn.execute(select(schema.tiles)).mappings().all()
            dets = conn.execute(select(schema.detections)).mappings().all()
            hits = conn.execute(select(schema.hits)).mappings().all()
    persons = [d for d in dets if d["class_id"] in card.person_ids]
    clues = [d for d in dets if d["class_id"] in card.clue_ids]
    assert clues and {d["class_id"] for d in dets} <= {*card.person_ids, *card.clue_ids}
    for px, py in LACMUS_PEOPLE:
        holding = [t for t in tiles if t["x"] <= px < t["x"] + t["w"] and t["y"] <= py < t["y"] + t["h"]]
        assert holding and all(t["state"] in ("review", "flagged") for t in holding), (px, py)
        for t in holding:  # the stored score is the best person box centred in the tile, clues aside
            inside = [
                d["score"]
                for d in persons
                if t["x"] <= (d["x1"] + d["x2"]) / 2 < t["x"] + t["w"]
                and t["y"] <= (d["y1"] + d["y2"]) / 2 < t["y"] + t["h"]
            ]
            assert t["score"] == pytest.approx(max(inside, default=0.0), abs=1e-5)
            if t["score"] < card.thresholds.review:
                assert t["state"] == "review"  # sent by a clue, which never flags
    flagged = {t["id"] for t in tiles if t["state"] == "flagged"}
    assert {h["tile_id"] for h in hits} <= flagged
    assert len({h["detection_id"] for h in hits}) == len(hits)  # one candidate per person box
    assert all(h["detection_id"] in {d["id"] for d in persons} for h in hits)
