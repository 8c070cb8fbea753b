"""The detector: plan tiles over a frame, cut them, run the model, merge what it saw into one frame."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from sartriage.detect.adapters import Adapter, adapter_for
from sartriage.detect.card import ModelCard, find_card
from sartriage.detect.detections import Detections, FrameDetections
from sartriage.detect.merge import merge_tiles
from sartriage.detect.session import Session
from sartriage.detect.tiling import Tile, plan_tiles, scale_for_gsd
from sartriage.errors import ModelError

log = logging.getLogger(__name__)

FLOOR = 0.05  # boxes kept below the review threshold, so thresholds can move without a rescan
MAX_BATCH = {"CPU": 4, "CUDA": 16, "TensorRT": 16}


class FrameLike(Protocol):
    """What the detector needs of a frame (``sartriage.frames.Frame`` is one).

    ``read`` takes a window with ``x, y, w, h`` and ``fits(width, height)``, as ``Tile`` and the frames
    package's ``Window`` both have.
    """

    @property
    def width(self) -> int: ...

    @property
    def height(self) -> int: ...

    @property
    def gsd_m(self) -> float | None: ...

    def read(self, window: Any = None, out_size: tuple[int, int] | None = None) -> np.ndarray: ...


class Detector:
    """A model with its card on one device. Open with ``Detector.open``."""

    def __init__(self, card: ModelCard, session: Session, adapter: Adapter, floor: float = FLOOR) -> None:
        self.card = card
        self.session = session
        self.adapter = adapter
        self.floor = min(floor, card.thresholds.review)
        self.outputs = adapter.needed_outputs(session.output_shapes)

    @classmethod
    def open(
        cls,
        model_or_card: Path | str | ModelCard | None = None,
        device: str = "auto",
        threads: int | None = None,
    ) -> Detector:
        """The model (an .onnx with its card beside it, a card, or None for the default model) on ``device``
        ("auto": TensorRT, then CUDA, then CPU). Raises ModelError with the fix when it cannot."""
        card = model_or_card if isinstance(model_or_card, ModelCard) else find_card(model_or_card)
        session = Session(card.model_path, device=device, threads=threads)
        if session.input_name != card.input.name:
            raise ModelError(
                f"{card.path}: [input] name = {card.input.name!r} but the model's input is "
                f"{session.input_name!r}"
            )
        adapter = adapter_for(card)
        if card.clue_ids and not adapter.reads_clues:
            log.warning("%s: family %s does not read [classes] clues; persons only", card.path, card.family)
        return cls(card, session, adapter)

    @property
    def provider(self) -> str:
        return self.session.provider

    @property
    def input_size(self) -> tuple[int, int]:
        return self.card.input.width, self.card.input.height

    def plan(self, frame: FrameLike) -> list[Tile]:
        """Model-size tiles over the frame, at the scale that makes a person the size the model sees best."""
        scale = scale_for_gsd(frame.gsd_m, self.card.scale.person_px, self.card.scale.default)
        w, h = self.input_size
        return plan_tiles(frame.width, frame.height, w, h, scale, self.card.scale.overlap)

    def cut(self, frame: FrameLike, tiles: Sequence[Tile]) -> np.ndarray:
        """(N, H, W, 3) uint8 RGB model-size tiles, read window by window; short tiles padded right/bottom."""
        w, h = self.input_size
        batch = np.full((len(tiles), h, w, 3), self.card.input.pad_value, np.uint8)
        for i, tile in enumerate(tiles):
            size = tile.out_size
            pixels = frame.read(tile, out_size=None if size == (tile.w, tile.h) else size)
            batch[i, : min(h, pixels.shape[0]), : min(w, pixels.shape[1])] = pixels[:h, :w]
        return batch

    def infer(self, batch: np.ndarray) -> list[Detections]:
        """Person and clue boxes in tile (model) pixels, one ``Detections`` per tile, scores >= the floor."""
        step = MAX_BATCH.get(self.provider, 4) if self.session.dynamic_batch else 1
        result: list[Detections] = []
        for start in range(0, len(batch), step):
            outputs = self.session.run(self.adapter.preprocess(batch[start : start + step]), self.outputs)
            result.extend(self.adapter.decode(outputs, self.floor))
        return result

    def merge(self, per_tile: Sequence[Detections], tiles: Sequence[Tile]) -> FrameDetections:
        """Persons merged across seams, and apart from them the clues (which never count as persons)."""
        person = [d[np.isin(d.class_ids, self.card.person_ids)] for d in per_tile]
        clue = [d[np.isin(d.class_ids, self.card.clue_ids)] for d in per_tile]
        found, clues = merge_tiles(person, tiles), merge_tiles(clue, tiles)
        return replace(
            found, clues=clues.detections, clue_tile_ids=clues.tile_ids, clue_scores=clues.tile_scores
        )

    def detect(self, frame: FrameLike) -> FrameDetections:
        tiles = self.plan(frame)
        return self.merge(self.infer(self.cut(frame, tiles)), tiles)
