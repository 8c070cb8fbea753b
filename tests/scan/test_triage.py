from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sartriage.detect.card import ModelCard
from sartriage.detect.tiling import Tile
from sartriage.scan.triage import TriageRules, quality_draw, triage_tiles

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
