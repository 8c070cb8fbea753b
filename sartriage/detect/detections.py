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

    ``clues`` are boxes of the card's clue classes (what a lost person leaves, or what the model mistakes a
    person seen from above for), merged the same way but never persons: ``clue_tile_ids`` and
    ``clue_scores`` are their counterparts of ``tile_ids`` and ``tile_scores``.
    """

    detections: Detections
    tiles: tuple[Tile, ...]
    tile_ids: np.ndarray
    tile_scores: np.ndarray = field(repr=False)
    clues: Detections = field(default_factory=Detections.empty)
    clue_tile_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32), repr=False)
    clue_scores: np.ndarray | None = field(default=None, repr=False)  # None: no clue in any tile

    def __post_init__(self) -> None:
        clue_scores = np.zeros(len(self.tiles)) if self.clue_scores is None else self.clue_scores
        arrays: dict[str, np.ndarray] = {}
        for name, value, dets in (
            ("tile_ids", self.tile_ids, self.detections),
            ("clue_tile_ids", self.clue_tile_ids, self.clues),
        ):
            ids = np.ascontiguousarray(value, dtype=np.int32).reshape(-1)
            if len(ids) != len(dets):
                raise ValueError(f"{len(ids)} {name.replace('_', ' ')} for {len(dets)} detections")
            if len(ids) and (ids.min() < 0 or ids.max() >= len(self.tiles)):
                raise ValueError("a detection points at a tile that does not exist")
            arrays[name] = ids
        for name, value in (("tile_scores", self.tile_scores), ("clue_scores", clue_scores)):
            per_tile = np.ascontiguousarray(value, dtype=np.float32).reshape(-1)
            if len(per_tile) != len(self.tiles):
                raise ValueError(f"{len(per_tile)} {name.replace('_', ' ')} for {len(self.tiles)} tiles")
            arrays[name] = per_tile
        for name, value in arrays.items():
            value.flags.writeable = False
            object.__setattr__(self, name, value)

    def above(self, threshold: float) -> Detections:
        return self.detections[self.detections.scores >= threshold]

    @property
    def evidence(self) -> np.ndarray:
        """Per tile, the stronger of its person and clue scores: what decides whether anyone looks."""
        assert self.clue_scores is not None  # filled in by __post_init__
        return np.maximum(self.tile_scores, self.clue_scores)

    def stored(self) -> tuple[Detections, np.ndarray]:
        """Persons then clues, with the tile each came from: everything a scan keeps of the frame."""
        return (
            Detections.merge([self.detections, self.clues]),
            np.concatenate([self.tile_ids, self.clue_tile_ids]),
        )
