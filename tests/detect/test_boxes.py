from __future__ import annotations

import numpy as np
import pytest

from sartriage.detect.boxes import ios, iou, nms, suppress_parts

A = np.array([[0, 0, 10, 10]], np.float32)


@pytest.mark.parametrize(
    ("other", "expected_iou", "expected_ios"),
    [
        ((0, 0, 10, 10), 1.0, 1.0),
        ((5, 0, 15, 10), 1 / 3, 0.5),
        ((2, 2, 4, 4), 0.04, 1.0),  # a small box inside: IoU small, IoS whole
        ((20, 20, 30, 30), 0.0, 0.0),
    ],
)
def test_overlaps(other: tuple[float, ...], expected_iou: float, expected_ios: float) -> None:
    b = np.array([other], np.float32)
    assert iou(A, b)[0, 0] == pytest.approx(expected_iou)
    assert ios(A, b)[0, 0] == pytest.approx(expected_ios)


def test_nms_keeps_the_best_of_overlapping_boxes() -> None:
    xyxy = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30]], np.float32)
    assert nms(xyxy, np.array([0.5, 0.9, 0.4], np.float32), 0.5).tolist() == [1, 2]


def test_a_peak_on_part_of_a_person_is_dropped_but_a_neighbour_is_not() -> None:
    xyxy = np.array(
        [[10, 10, 30, 70], [12, 12, 28, 35], [25, 10, 45, 70]], np.float32
    )  # body, head, neighbour
    keep = suppress_parts(xyxy, np.array([0.6, 0.4, 0.3], np.float32))
    assert keep.tolist() == [0, 2]
