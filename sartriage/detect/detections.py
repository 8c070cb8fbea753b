"""Many boxes as one value: parallel numpy arrays, validated once, filtered by masks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from sartriage.detect.tiling import Tile


@dataclass(frozen=True)
class Detections:
    """``xyxy`` float32 (N, 4) as x1, y1, x2, y2; ``scores`` float32 (N,); ``class_ids`` int32 (N,)."""

    xyxy: np.ndarray
    scores: np.ndarray
    class_ids: np.ndarray

    def __post_init__(self) -> None:
        xyxy = np.ascontiguousarray(self.xyxy, dtype=np.float32).reshape(-1, 4)
        scores = np.ascontiguousarray(self.scores, dtype=np.float32).reshape(-1)
        class_ids = np.ascontiguousarray(self.class_ids, dtype=np.int32).reshape(-1)
        if not (len(xyxy) == len(scores) == len(class_ids)):
            raise ValueError(
                f"Detections arrays differ in length: xyxy {len(xyxy)}, scores {len(scores)}, "
                f"class_ids {len(class_ids)}"
            )
        if not np.isfinite(xyxy).all() or not np.isfinite(scores).all():
            raise ValueError("Detections hold a NaN or infinite box or score")
        if (xyxy[:, 2] < xyxy[:, 0]).any() or (xyxy[:, 3] < xyxy[:, 1]).any():
            raise ValueError("Detections hold a box whose x2 < x1 or y2 < y1")
        for name, value in (("xyxy", xyxy), ("scores", scores), ("class_ids", class_ids)):
            value.flags.writeable = False
            object.__setattr__(self, name, value)

    @classmethod
    def empty(cls) -> Detections:
        return cls(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int32))

    @classmethod
    def merge(cls, items: Sequence[Detections]) -> Detections:
        """All boxes of ``items`` in one value, in the given order."""
        if not items:
            return cls.empty()
        return cls(
            np.concatenate([d.xyxy for d in items]),
            np.concatenate([d.scores for d in items]),
            np.concatenate([d.class_ids for d in items]),
        )

    def __len__(self) -> int:
        return len(self.scores)

    def __getitem__(self, index: np.ndarray | slice | Sequence[int]) -> Detections:
        """Boolean mask, index array or slice -> the chosen boxes (always a ``Detections``)."""
        if isinstance(index, (int, np.integer)):
            index = [int(index)]
        return Detections(self.xyxy[index], self.scores[index], self.class_ids[index])

    @property
    def centres(self) -> np.ndarray:
        return np.stack([(self.xyxy[:, 0] + self.xyxy[:, 2]) / 2, (self.xyxy[:, 1] + self.xyxy[:, 3]) / 2], 1)

    def to_frame(self, tile: Tile) -> Detections:
        """From the tile's model pixels to frame pixels."""
        offset = np.array([tile.x, tile.y, tile.x, tile.y], np.float32)
        return Detections(self.xyxy / np.float32(tile.scale) + offset, self.scores, self.class_ids)


@dataclass(frozen=True)
class FrameDetections:
    """People found in one frame.

    ``detections`` are in frame pixels, merged across seams, best first. ``tile_ids[i]`` is the index in
    ``tiles`` of the tile whose view gave detection ``i`` its score; ``tile_scores[j]`` is the best person
    confidence seen in tile ``j`` (0 when none), the number triage sorts tiles by.
    """

    detections: Detections
    tiles: tuple[Tile, ...]
    tile_ids: np.ndarray
    tile_scores: np.ndarray = field(repr=False)

    def __post_init__(self) -> None:
        tile_ids = np.ascontiguousarray(self.tile_ids, dtype=np.int32).reshape(-1)
        tile_scores = np.ascontiguousarray(self.tile_scores, dtype=np.float32).reshape(-1)
        if len(tile_ids) != len(self.detections):
            raise ValueError(f"{len(tile_ids)} tile ids for {len(self.detections)} detections")
        if len(tile_scores) != len(self.tiles):
            raise ValueError(f"{len(tile_scores)} tile scores for {len(self.tiles)} tiles")
        if len(tile_ids) and (tile_ids.min() < 0 or tile_ids.max() >= len(self.tiles)):
            raise ValueError("a detection points at a tile that does not exist")
        for name, value in (("tile_ids", tile_ids), ("tile_scores", tile_scores)):
            value.flags.writeable = False
            object.__setattr__(self, name, value)

    def above(self, threshold: float) -> Detections:
        return self.detections[self.detections.scores >= threshold]
