from __future__ import annotations

import itertools

import numpy as np
import pytest

from sartriage.detect.tiling import MAX_SCALE, SLACK, Tile, plan_tiles, scale_for_gsd


@pytest.mark.parametrize(
    ("width", "height", "model", "scale", "overlap"),
    [
        (3840, 2160, 512, 1.0, 0.2),  # Unicamp frame
        (4000, 3000, 512, 1.0, 0.2),  # HERIDAL original
        (4000, 3000, 640, 0.5, 0.2),  # low flight: shrink
        (3840, 2160, 512, 2.0, 0.3),  # high flight: enlarge
        (1024, 1024, 512, 1.0, 0.0),
    ],
)
def test_tiles_are_full_cover_the_frame_and_overlap(
    width: int, height: int, model: int, scale: float, overlap: float
) -> None:
    tiles = plan_tiles(width, height, model, model, scale, overlap)
    covered = np.zeros((height, width), bool)
    for t in tiles:
        assert t.fits(width, height)
        assert t.out_size == (model, model)  # every tile is full: the last row/column is shifted back
        covered[t.y : t.y + t.h, t.x : t.x + t.w] = True
    assert covered.all()
    xs = sorted({t.x for t in tiles})
    window = tiles[0].w
    stride = window * (1 - overlap)
    assert all(b - a <= stride * (1 + SLACK) + 1 for a, b in itertools.pairwise(xs))


def test_frame_smaller_than_a_tile_gives_one_short_tile() -> None:
    assert plan_tiles(340, 340, 512, 512) == [Tile(0, 0, 340, 340, 1.0)]


def test_a_pixel_short_of_the_overlap_adds_no_near_duplicate_tile() -> None:
    # 922 = 512 + 410: stride 409 would put tiles at 0, 409 and 410
    assert [t.x for t in plan_tiles(922, 512, 512, 512)] == [0, 410]


@pytest.mark.parametrize(
    ("gsd_m", "person_px", "expected"),
    [
        (None, 48, 1.0),  # no altitude: native resolution
        (0.0, 48, 1.0),
        (1.7 / 48, 48, 1.0),  # person already 48 px
        (1.7 / 24, 48, 2.0),  # high flight: person 24 px, enlarged twice
        (1.7 / 96, 48, 0.5),  # low flight: fewer, coarser tiles
        (1.0, 48, MAX_SCALE),  # absurd altitude is capped
    ],
)
def test_scale_makes_a_person_the_size_the_model_likes(
    gsd_m: float | None, person_px: int, expected: float
) -> None:
    assert scale_for_gsd(gsd_m, person_px) == pytest.approx(expected)


@pytest.mark.parametrize("bad", [{"w": 0}, {"x": -1}, {"scale": 0.0}])
def test_tile_refuses_impossible_windows(bad: dict) -> None:
    values = {"x": 0, "y": 0, "w": 10, "h": 10, "scale": 1.0} | bad
    with pytest.raises(ValueError):
        Tile(**values)
