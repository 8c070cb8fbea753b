from __future__ import annotations

import numpy as np
import pytest

from sartriage.detect.detections import Detections
from sartriage.detect.merge import merge_tiles
from sartriage.detect.tiling import Tile

LEFT, RIGHT = Tile(0, 0, 100, 100), Tile(80, 0, 100, 100)  # 20 px of overlap at x 80..100


def dets(*rows: tuple[float, float, float, float, float]) -> Detections:
    a = np.asarray(rows, np.float32).reshape(-1, 5)
    return Detections(a[:, :4], a[:, 4], np.zeros(len(a), np.int32))


def test_person_on_a_seam_is_reported_once_with_its_whole_box() -> None:
    # frame box 85..97: the left tile sees it whole near its edge, the right tile sees it at x 5..17
    left = dets((85, 40, 97, 70, 0.6))
    right = dets((5, 40, 17, 70, 0.8))
    merged = merge_tiles([left, right], [LEFT, RIGHT])
    assert len(merged.detections) == 1
    assert merged.detections.scores.tolist() == pytest.approx([0.7])  # both tiles saw it whole: their mean
    assert merged.detections.xyxy.tolist() == [[85, 40, 97, 70]]
    assert merged.tile_ids.tolist() == [1]


def test_a_view_cut_by_a_tile_edge_yields_to_the_whole_view() -> None:
    # frame box 70..95: whole in the left tile; the right tile (from x 80) saw only its right part, with a
    # taller box and a higher score. The person's box is the whole view, not the union of the two.
    left = dets((70, 40, 95, 70, 0.6))
    right = dets((0, 38, 15, 72, 0.8))
    merged = merge_tiles([left, right], [LEFT, RIGHT])
    assert merged.detections.xyxy.tolist() == [[70, 40, 95, 70]]


def test_person_cut_by_both_tile_edges_gets_the_union() -> None:
    left = dets((90, 40, 100, 70, 0.5))  # cut by the left tile's right edge at x 100
    right = dets((0, 40, 15, 70, 0.7))  # cut by the right tile's left edge at x 80
    merged = merge_tiles([left, right], [LEFT, RIGHT])
    assert merged.detections.xyxy.tolist() == [[80, 40, 100, 70]]


def test_two_people_side_by_side_in_one_tile_are_never_fused() -> None:
    left = dets((10, 10, 30, 50, 0.9), (20, 10, 40, 50, 0.8))  # they overlap, but one tile saw two people
    merged = merge_tiles([left, dets()], [LEFT, RIGHT])
    assert len(merged.detections) == 2


def test_two_people_in_the_overlap_stay_two() -> None:
    left = dets((82, 10, 90, 30, 0.9), (88, 12, 98, 32, 0.7))
    right = dets((2, 10, 10, 30, 0.85), (8, 12, 18, 32, 0.75))
    merged = merge_tiles([left, right], [LEFT, RIGHT])
    assert len(merged.detections) == 2
    assert merged.detections.scores.tolist() == pytest.approx([0.875, 0.725])


@pytest.mark.parametrize(("average_views", "expected"), [(True, 0.3), (False, 0.6)])
def test_a_peak_only_one_of_two_views_saw_is_discounted(average_views: bool, expected: float) -> None:
    # frame box 85..97 lies whole in both tiles, but only the left one reported it
    merged = merge_tiles([dets((85, 40, 97, 70, 0.6)), dets()], [LEFT, RIGHT], average_views=average_views)
    assert merged.detections.scores.tolist() == pytest.approx([expected])


def test_a_person_cut_by_the_other_tile_is_not_held_against_it() -> None:
    # frame box 60..90 is whole in the left tile only (the right one starts at 80)
    merged = merge_tiles([dets((60, 40, 90, 70, 0.6)), dets()], [LEFT, RIGHT])
    assert merged.detections.scores.tolist() == pytest.approx([0.6])


def test_order_does_not_depend_on_input_order() -> None:
    a = dets((10, 10, 20, 20, 0.5), (50, 50, 60, 60, 0.5), (30, 30, 40, 40, 0.7))
    b = a[np.array([2, 0, 1])]
    first = merge_tiles([a, dets()], [LEFT, RIGHT]).detections
    second = merge_tiles([b, dets()], [LEFT, RIGHT]).detections
    np.testing.assert_array_equal(first.xyxy, second.xyxy)
    assert first.scores.tolist() == sorted(first.scores.tolist(), reverse=True)


def test_tile_score_is_the_best_person_in_it() -> None:
    merged = merge_tiles([dets((10, 10, 20, 20, 0.3)), dets((60, 10, 70, 20, 0.9))], [LEFT, RIGHT])
    # the right tile's person (frame x 140..150) lies only in the right tile
    assert merged.tile_scores.tolist() == pytest.approx([0.3, 0.9])
    empty = merge_tiles([dets(), dets()], [LEFT, RIGHT])
    assert empty.tile_scores.tolist() == [0.0, 0.0] and len(empty.detections) == 0
