from __future__ import annotations

import numpy as np
import pytest

from sartriage.evaluate.matching import match

LABEL = np.array([[100, 100, 120, 150]], np.float32)  # a 20x50 person


@pytest.mark.parametrize(
    ("box", "expected"),
    [
        ((100, 100, 120, 150), True),  # exact
        ((95, 95, 125, 160), True),  # loose: IoU 0.56
        ((100, 90, 141, 160), True),  # centre (120.5, 125) just outside, but IoU 0.35
        ((60, 60, 170, 190), True),  # IoU 0.07 but centre (115, 125) inside the person
        ((118, 140, 140, 170), False),  # touches the corner only
        ((300, 300, 320, 350), False),
    ],
)
def test_iou_or_centre_inside(box: tuple[float, ...], expected: bool) -> None:
    pred = np.array([box], np.float32)
    found = match(pred, np.array([0.5], np.float32), LABEL)
    assert found.tolist() == [expected]


def test_a_second_box_on_the_same_person_is_a_false_alarm() -> None:
    preds = np.array([[100, 100, 120, 150], [101, 101, 121, 151]], np.float32)
    assert match(preds, np.array([0.4, 0.9], np.float32), LABEL).tolist() == [False, True]


def test_each_box_takes_the_label_it_overlaps_most() -> None:
    labels = np.array([[0, 0, 10, 20], [8, 0, 18, 20]], np.float32)
    preds = np.array([[7, 0, 17, 20], [0, 0, 10, 20]], np.float32)
    assert match(preds, np.array([0.9, 0.8], np.float32), labels).tolist() == [True, True]


def test_nothing_to_match() -> None:
    assert match(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), LABEL).tolist() == []
    assert match(LABEL, np.array([0.5], np.float32), np.zeros((0, 4), np.float32)).tolist() == [False]
