"""Recall, precision, average precision and review load over a set of images."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Scores:
    """At one threshold: the share of people found, the share of boxes that are people, boxes per image."""

    threshold: float
    recall: float
    precision: float
    per_image: float
    found: int
    boxes: int

    def line(self) -> str:
        return f"recall={self.recall:.3f} precision={self.precision:.3f} per_image={self.per_image:.2f}"


@dataclass
class Tally:
    """Accumulates matched predictions image by image."""

    labels: int = 0
    images: int = 0
    _scores: list[np.ndarray] = field(default_factory=list)
    _found: list[np.ndarray] = field(default_factory=list)

    def add(self, scores: np.ndarray, found: np.ndarray, labels: int) -> None:
        self._scores.append(np.asarray(scores, np.float32))
        self._found.append(np.asarray(found, bool))
        self.labels += labels
        self.images += 1

    def _arrays(self) -> tuple[np.ndarray, np.ndarray]:
        if not self._scores:
            return np.zeros(0, np.float32), np.zeros(0, bool)
        scores, found = np.concatenate(self._scores), np.concatenate(self._found)
        order = np.argsort(-scores, kind="stable")
        return scores[order], found[order]

    def at(self, threshold: float) -> Scores:
        scores, found = self._arrays()
        keep = scores >= threshold
        hits, boxes = int(found[keep].sum()), int(keep.sum())
        return Scores(
            threshold=threshold,
            recall=hits / self.labels if self.labels else 0.0,
            precision=hits / boxes if boxes else 1.0,
            per_image=boxes / self.images if self.images else 0.0,
            found=hits,
            boxes=boxes,
        )

    def average_precision(self) -> float:
        """Area under the precision-recall curve below its precision envelope (all points, VOC 2010+)."""
        scores, found = self._arrays()
        if not self.labels or not len(scores):
            return 0.0
        tp = np.cumsum(found)
        recall = np.concatenate([[0.0], tp / self.labels])
        precision = np.concatenate([[1.0], tp / np.arange(1, len(tp) + 1)])
        envelope = np.maximum.accumulate(precision[::-1])[::-1]
        return float(np.sum(np.diff(recall) * envelope[1:]))
