from __future__ import annotations

import numpy as np
import pytest

from sartriage.evaluate.metrics import Tally


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


def test_no_boxes_has_full_precision_and_zero_recall() -> None:
    s = tally(([], [], 3)).at(0.5)
    assert (s.recall, s.precision, s.per_image) == (0.0, 1.0, 0.0)
