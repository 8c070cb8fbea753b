"""Where the model looks: model-size tiles over a frame, with overlap and an altitude-aware scale."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# The ground length that the card's person_px is made to span. person_px was measured on HERIDAL as the
# label box's longer side, which from above is 0.6-1.2 m for a standing or walking person and up to 1.7 m
# for one lying down. Scaling 1.7 m to person_px (48) puts that whole range at 17-48 model px, inside the
# 16-64 px band where the scale sweep (tools/centernet_scale_sweep.py) finds recall 0.90-0.97; a shorter
# reference would push lying people past 64 px, where recall falls to 0.63-0.75, and multiply the tiles.
# On Lacmus LADD 335.jpg (two people lying or sitting on snow, benchmarks/clue_classes.py) person scores stay
# 0.10-0.15 from 1.7 m down to 0.75 m and reach 0.22-0.29 only at 0.6 m (7x the tiles); the labelled sets
# carry no GSD, so no shorter reference is measured to pay on them: the card's clue classes bring such
# people to review instead.
PERSON_HEIGHT_M = 1.7
# Resampling beyond these factors only magnifies noise (or bad altitude metadata) instead of people.
MIN_SCALE = 0.25
MAX_SCALE = 4.0
SLACK = 0.01  # fraction of a stride the last tile may overrun before another tile is added


@dataclass(frozen=True)
class Tile:
    """A window ``x, y, w, h`` in frame pixels, seen by the model at ``scale`` model pixels per frame pixel.

    A window may be smaller than the model input (frame smaller than a tile); the cut pads it at the
    right and bottom so model pixel (0, 0) is always frame pixel (x, y).
    """

    x: int
    y: int
    w: int
    h: int
    scale: float = 1.0

    def __post_init__(self) -> None:
        if self.w <= 0 or self.h <= 0 or self.x < 0 or self.y < 0:
            raise ValueError(f"tile window must lie in the frame with a positive size, got {self}")
        if not self.scale > 0:
            raise ValueError(f"tile scale must be positive, got {self.scale}")

    @property
    def out_size(self) -> tuple[int, int]:
        """(w, h) of the window resampled to model pixels."""
        return max(1, round(self.w * self.scale)), max(1, round(self.h * self.scale))

    def fits(self, width: int, height: int) -> bool:
        """Whether the window lies inside a ``width`` x ``height`` frame (the frame's ``Window`` protocol)."""
        return self.x + self.w <= width and self.y + self.h <= height

    def contains(self, x: float, y: float) -> bool:
        return bool(centred_in(np.array([[x, y]]), [self])[0, 0])


def centred_in(centres: np.ndarray, tiles: Sequence[Tile]) -> np.ndarray:
    """[tile, detection]: whether each detection's centre (x, y) lies in each tile, its left and top edges in,
    its right and bottom edges out. The one rule for a detection belonging to a tile (the store's form is
    ``hits.best_detection``)."""
    win = np.array([[t.x, t.y, t.x + t.w, t.y + t.h] for t in tiles], np.float64).reshape(-1, 4)
    c = np.asarray(centres, np.float64).reshape(-1, 2)
    return (
        (c[None, :, 0] >= win[:, None, 0])
        & (c[None, :, 0] < win[:, None, 2])
        & (c[None, :, 1] >= win[:, None, 1])
        & (c[None, :, 1] < win[:, None, 3])
    )


def scale_for_gsd(gsd_m: float | None, person_px: float, default: float = 1.0) -> float:
    """Model pixels per frame pixel so that ``PERSON_HEIGHT_M`` on the ground spans ``person_px`` of them.

    Without a ground sample distance the frame is seen at ``default`` (1.0: native resolution).
    """
    if gsd_m is None or not math.isfinite(gsd_m) or gsd_m <= 0:
        return default
    person_frame_px = PERSON_HEIGHT_M / gsd_m
    return min(MAX_SCALE, max(MIN_SCALE, person_px / person_frame_px))


def _starts(length: int, window: int, overlap: float) -> list[int]:
    if length <= window:
        return [0]
    stride = max(1, math.floor(window * (1.0 - overlap)))
    # a pixel or two short of the overlap is not worth a whole extra row of tiles
    steps = math.ceil((length - window) / stride - SLACK)
    starts = [i * stride for i in range(steps)]
    starts.append(length - window)  # the last row/column is shifted back so it stays full size
    return starts


def plan_tiles(
    width: int, height: int, model_w: int, model_h: int, scale: float = 1.0, overlap: float = 0.2
) -> list[Tile]:
    """Tiles over a ``width`` x ``height`` frame, row by row, each ``model_w`` x ``model_h`` model pixels."""
    if width <= 0 or height <= 0:
        raise ValueError(f"frame size must be positive, got {width}x{height}")
    if not 0.0 <= overlap < 1.0:
        raise ValueError(f"tile overlap must be in [0, 1), got {overlap}")
    win_w = max(1, round(model_w / scale))
    scale = model_w / win_w  # exact, so a full tile resamples to exactly the model width
    win_h = max(1, round(model_h / scale))
    tiles = []
    for y in _starts(height, win_h, overlap):
        for x in _starts(width, win_w, overlap):
            tiles.append(Tile(x, y, min(win_w, width), min(win_h, height), scale))
    return tiles
