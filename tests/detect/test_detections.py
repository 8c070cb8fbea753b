from __future__ import annotations

import numpy as np
import pytest

from sartriage.detect.detections import Detections, FrameDetections
from sartriage.detect.tiling import Tile


def make(*rows: tuple[float, float, float, float, float]) -> Detections:
    a = np.asarray(rows, np.float32).reshape(-1, 5)
    return Detections(a[:, :4], a[:, 4], np.zeros(len(a), np.int32))


def test_arrays_are_coerced_and_read_only() -> None:
    d = Detections(np.array([[1, 2, 3, 4]], np.float64), [0.5], [0])
    assert d.xyxy.dtype == np.float32 and d.scores.dtype == np.float32 and d.class_ids.dtype == np.int32
    with pytest.raises(ValueError):
        d.xyxy[0, 0] = 9


@pytest.mark.parametrize(
    ("xyxy", "scores", "class_ids", "message"),
    [
        ([[0, 0, 1, 1]], [0.5, 0.6], [0], "differ in length"),
        ([[0, 0, 1, 1]], [np.nan], [0], "NaN"),
        ([[5, 0, 1, 1]], [0.5], [0], "x2 < x1"),
        ([[0, 5, 1, 1]], [0.5], [0], "x2 < x1 or y2 < y1"),
    ],
)
def test_invalid_arrays_are_refused(xyxy: list, scores: list, class_ids: list, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Detections(np.asarray(xyxy, np.float32), np.asarray(scores, np.float32), np.asarray(class_ids))


def test_mask_and_merge() -> None:
    a = make((0, 0, 10, 10, 0.9), (5, 5, 20, 20, 0.1))
    b = make((1, 1, 2, 2, 0.4))
    assert len(a[a.scores > 0.5]) == 1
    merged = Detections.merge([a, b, Detections.empty()])
    assert merged.scores.tolist() == pytest.approx([0.9, 0.1, 0.4])
    assert len(Detections.merge([])) == 0


def test_to_frame_undoes_tile_offset_and_scale() -> None:
    d = make((100, 50, 200, 150, 0.7)).to_frame(Tile(1000, 500, 256, 256, 2.0))
    assert d.xyxy.tolist() == [[1050, 525, 1100, 575]]


def test_frame_detections_check_tile_ids() -> None:
    tiles = (Tile(0, 0, 10, 10),)
    with pytest.raises(ValueError, match="does not exist"):
        FrameDetections(make((0, 0, 1, 1, 0.5)), tiles, np.array([3]), np.zeros(1))
