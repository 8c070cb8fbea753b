"""What every family adapter shares: tile preprocessing from the card, person filtering and NMS."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sartriage.detect.boxes import nms
from sartriage.detect.card import ModelCard
from sartriage.detect.detections import Detections
from sartriage.errors import ModelError


class Adapter:
    """Turns model-size RGB tiles into the model's input and its raw outputs into person boxes.

    Boxes come back in model-input pixels, one ``Detections`` per tile: person classes, then (for families
    that ``reads_clues``) the card's clue classes, told apart by ``class_ids``.
    """

    reads_clues = False  # whether decode also returns the card's [classes] clues

    def __init__(self, card: ModelCard) -> None:
        self.card = card
        self.person_ids = np.asarray(card.person_ids, dtype=np.int64)
        self.clue_ids = np.asarray(card.clue_ids, dtype=np.int64)

    def preprocess(self, tiles: np.ndarray) -> np.ndarray:
        """(N, H, W, 3) uint8 RGB tiles of the model's input size -> the float32 input tensor."""
        spec = self.card.input
        if tiles.ndim != 4 or tiles.shape[1:] != (spec.height, spec.width, 3):
            raise ValueError(f"tiles must be (N, {spec.height}, {spec.width}, 3), got {tiles.shape}")
        x = tiles.astype(np.float32)
        if spec.colour == "BGR":
            x = x[..., ::-1]
        if spec.scale != 1.0:
            x *= np.float32(spec.scale)
        if spec.mean != (0.0, 0.0, 0.0):
            x -= np.asarray(spec.mean, np.float32)
        if spec.std != (1.0, 1.0, 1.0):
            x /= np.asarray(spec.std, np.float32)
        if spec.layout == "NCHW":
            x = x.transpose(0, 3, 1, 2)
        return np.ascontiguousarray(x)

    def decode(self, outputs: Sequence[np.ndarray], min_score: float) -> list[Detections]:
        raise NotImplementedError

    def needed_outputs(self, outputs: Sequence[tuple[str, Sequence[object]]]) -> list[str] | None:
        """Names of the model outputs ``decode`` reads, from (name, shape) pairs; None: all of them."""
        return None

    # helpers for heads that give per-class scores and no NMS

    def _person_scores(self, class_scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(M, nc) class scores -> best person score and its class id, each (M,)."""
        if self.person_ids.max() >= class_scores.shape[1]:
            raise ModelError(
                f"{self.card.path}: [classes] person {list(self.card.person_ids)} but the model has "
                f"{class_scores.shape[1]} classes"
            )
        person = class_scores[:, self.person_ids]
        best = person.argmax(axis=1)
        return person[np.arange(len(person)), best], self.person_ids[best]

    def _finish(
        self, xyxy: np.ndarray, scores: np.ndarray, class_ids: np.ndarray, min_score: float
    ) -> Detections:
        """Keep confident boxes, clip to the input, suppress overlaps unless the model already did."""
        keep = (scores >= min_score) & np.isfinite(xyxy).all(axis=1) & np.isfinite(scores)
        xyxy, scores, class_ids = xyxy[keep], scores[keep], class_ids[keep]
        # a regression head can predict a negative size: take the corners in order
        xyxy = np.concatenate(
            [np.minimum(xyxy[:, :2], xyxy[:, 2:]), np.maximum(xyxy[:, :2], xyxy[:, 2:])], axis=1
        )
        spec = self.card.input
        xyxy = np.clip(xyxy, 0, [spec.width, spec.height, spec.width, spec.height])
        if len(scores) and not self.card.output.nms_inside:
            kept = nms(xyxy, scores, self.card.thresholds.nms_iou)
            xyxy, scores, class_ids = xyxy[kept], scores[kept], class_ids[kept]
        return Detections(xyxy, scores, class_ids)


def cxcywh_to_xyxy(boxes: np.ndarray) -> np.ndarray:
    half = boxes[:, 2:4] / 2
    return np.concatenate([boxes[:, :2] - half, boxes[:, :2] + half], axis=1)


def one_output(card: ModelCard, outputs: Sequence[np.ndarray], ndim: int) -> np.ndarray:
    for out in outputs:
        if out.ndim == ndim:
            return out
    raise ModelError(f"{card.model_path}: no {ndim}-d output, is [model] family = {card.family!r} right?")
