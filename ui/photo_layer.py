"""The mission's own photos as the map's bottom layer, each warped onto its footprint: with no internet and
no orthomosaic the map still shows the terrain the drone saw.

A frame's footprint (stored by the scan) samples each image edge from its corner, the same number of points
per edge, so its corners are known; the photo is drawn through the projective map of its four corners, the
exact one for a pinhole camera over flat ground. Frames whose footprint the corners do not explain (clipped
at the horizon, a bent DEM footprint, lens distortion past ``BENT``) are left out rather than drawn wrong.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import cv2
import numpy as np
from PyQt6.QtCore import QObject

from sartriage.mission_reads import MapFrames
from sartriage.store import Store
from sartriage.store.photos import photo_to_read
from ui import imagery
from ui.geo import LocalProjection
from ui.tasks import OncePerKey

PHOTO_LONG_SIDE = 384  # pixels kept per photo at most
PHOTO_MIN_SIDE = 96
# pixels of every photo together (about 160 MB): 2,000 photos get 163 px each; never under PHOTO_MIN_SIDE
PHOTO_BUDGET_PX = 40_000_000
BENT = 0.02  # largest footprint point off the corners' projective map, as a share of the diagonal

UNIT_SQUARE = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], dtype=np.float32)


def photo_corners(footprint: Sequence[Sequence[float]] | None) -> np.ndarray | None:
    """The ground (lon, lat) of the photo's top-left, top-right, bottom-right and bottom-left corners, or
    None when the footprint does not give them."""
    if not footprint or len(footprint) < 4 or len(footprint) % 4:
        return None
    ring = np.asarray(footprint, dtype=np.float64)
    per_edge = len(ring) // 4
    corners = ring[::per_edge]
    proj = LocalProjection.around(ring[:, 0], ring[:, 1])
    metres = np.column_stack(proj.to_scene(ring[:, 0], ring[:, 1])).astype(np.float32)
    corner_metres = np.ascontiguousarray(metres[::per_edge])
    if abs(cv2.contourArea(corner_metres)) < 1.0 or not cv2.isContourConvex(corner_metres):
        return None
    homography = cv2.getPerspectiveTransform(UNIT_SQUARE, corner_metres)
    t = np.arange(per_edge, dtype=np.float32) / per_edge
    zeros, ones = np.zeros_like(t), np.ones_like(t)
    edges = np.concatenate(
        [np.column_stack(e) for e in ((t, zeros), (ones, t), (1 - t, ones), (zeros, 1 - t))]
    ).astype(np.float32)
    expected = cv2.perspectiveTransform(edges[None], homography)[0]
    diagonal = float(np.linalg.norm(corner_metres[2] - corner_metres[0]))
    if float(np.max(np.linalg.norm(expected - metres, axis=1))) > BENT * diagonal:
        return None
    return corners


def photo_side(frames: int) -> int:
    """The long side each photo is kept at, so a mission's photos together stay within the budget."""
    return int(
        min(PHOTO_LONG_SIDE, max(PHOTO_MIN_SIDE, math.sqrt(PHOTO_BUDGET_PX / (0.75 * max(frames, 1)))))
    )


Read = tuple[Callable[[], Any], Callable[[Any], None]]  # what to read off the GUI thread, what to do with it


class FrameFileReads(QObject):
    """Reads something from each frame's file once, one at a time in the background, for the map."""

    def __init__(self, view: QObject, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.reads = OncePerKey(self)

    def show(self, frames: MapFrames, store: Store) -> None:
        for i, frame_id in enumerate(frames.ids):
            key = int(frame_id)
            if not self.reads.asked(key) and (read := self.read_of(frames, i, key, store)) is not None:
                self.reads.ask(key, *read)

    def read_of(self, frames: MapFrames, i: int, key: int, store: Store) -> Read | None:
        raise NotImplementedError


class PhotoLoader(FrameFileReads):
    """Each placed frame's photo, small, drawn on its footprint."""

    def read_of(self, frames: MapFrames, i: int, key: int, store: Store) -> Read | None:
        corners = photo_corners(frames.footprints[i]) if frames.status[i] == "done" else None
        if corners is None:
            return None
        path, content_hash, side = frames.paths[i], frames.hashes[i], photo_side(len(frames))
        return (
            # which file holds the photo (it, or its copy once the card is gone) is asked once, off the GUI
            lambda: imagery.read_preview(photo_to_read(store, path, content_hash), side),
            lambda picture: self.view.set_photo(key, picture.image, corners),  # type: ignore[attr-defined]
        )
