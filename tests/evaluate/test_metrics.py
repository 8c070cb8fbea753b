from __future__ import annotations

import numpy as np
import pytest

from sartriage.evaluate.metrics import Tally, TileTally


def tally(*images: tuple[list[float], list[bool], int]) -> Tally:
    t = Tally()
    for scores, found, labels in images:
        t.add(np.array(scores), np.array(found), labels)
    return t


def test_perfect_detector() -> None:
    t = tally(([0.9, 0.8], [True, True], 2), ([], [], 0))
    assert t.average_precision() == pytest.approx(1.0)
    s = t.at(0.5)
    assert (s.recall, s.precision, s.per_image) == (1.0, 1.0, 1.0)


def test_figures_at_a_threshold_and_ap_by_hand() -> None:
    # ranked: 0.9 hit, 0.7 miss, 0.6 hit, 0.2 hit; 4 people
    t = tally(([0.9, 0.7], [True, False], 2), ([0.6, 0.2], [True, True], 2))
    s = t.at(0.5)
    assert (s.found, s.boxes) == (2, 3)
    assert s.recall == pytest.approx(0.5) and s.precision == pytest.approx(2 / 3) and s.per_image == 1.5
    # envelope precision at recall steps 0.25, 0.5, 0.75: 1, 2/3, 3/4 -> max-to-the-right 1, 0.75, 0.75
    assert t.average_precision() == pytest.approx(0.25 * 1 + 0.25 * 0.75 + 0.25 * 0.75)


def test_threshold_for_a_review_load_keeps_that_many_best_boxes() -> None:
    t = tally(([0.9, 0.7], [True, False], 2), ([0.6, 0.2], [True, True], 2))
    assert t.threshold_for(3) == pytest.approx(0.6)
    assert t.at(t.threshold_for(3)).boxes == 3
    assert t.threshold_for(10) == pytest.approx(0.2)  # more than there are: all of them
    assert tally(([], [], 1)).threshold_for(2) == 1.0


def test_precision_at_a_recall_is_the_best_threshold_reaching_it() -> None:
    # ranked: 0.9 hit, 0.7 miss, 0.6 hit, 0.2 hit; 4 people. Recall 0.5 is first reached at 0.6 with 2 of 3
    # boxes right, but going down to 0.2 finds 3 of 4 with 3 of 4 right: the better way to reach 0.5
    t = tally(([0.9, 0.7], [True, False], 2), ([0.6, 0.2], [True, True], 2))
    assert t.precision_at_recall(0.25) == pytest.approx(1.0)
    assert t.precision_at_recall(0.5) == pytest.approx(3 / 4)
    assert t.precision_at_recall(0.75) == pytest.approx(3 / 4)
    assert t.precision_at_recall(1.0) == 0.0  # the fourth person is never found


def test_no_boxes_has_full_precision_and_zero_recall() -> None:
    s = tally(([], [], 3)).at(0.5)
    assert (s.recall, s.precision, s.per_image) == (0.0, 1.0, 0.0)


def test_tile_tally_counts_people_in_sent_tiles_and_the_review_load() -> None:
    tiles = TileTally()
    windows = np.array([[0, 0, 100, 100], [80, 0, 180, 100]], np.float32)  # overlapping at x 80-100
    people = np.array([[10, 10, 20, 30], [85, 40, 95, 60], [150, 10, 170, 30]], np.float32)
    # tile 0: person 0.1, clue 0.5 -> sent on a clue only; tile 1: nothing
    tiles.add(windows, np.array([0.1, 0.0]), np.array([0.5, 0.0]), people)
    tiles.add(windows, np.array([0.0, 0.3]), np.array([0.0, 0.3]), np.zeros((0, 4), np.float32))
    reach = tiles.at(0.2)
    # people 0 and 1 (centre in the overlap, seen by tile 0) are in a sent tile; person 2 only in tile 1
    assert reach.people == pytest.approx(2 / 3) and reach.people_by_person_score == 0.0
    assert reach.tiles_per_image == 1.0 and reach.tiles_by_person_score == 0.5
    assert reach.tiles_total_per_image == 2.0
    assert "people_in_sent_tiles=0.667 tiles_sent_per_image=1.00 of 2.00" in reach.line()


def test_tile_tally_of_nothing_is_zero() -> None:
    reach = TileTally().at(0.5)
    assert (reach.people, reach.tiles_per_image, reach.tiles_total_per_image) == (0.0, 0.0, 0.0)
