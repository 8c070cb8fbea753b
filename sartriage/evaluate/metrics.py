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

    def threshold_for(self, boxes: int) -> float:
        """The threshold that keeps the ``boxes`` best predictions (a review load to compare at)."""
        scores, _found = self._arrays()
        if not len(scores):
            return 1.0
        return float(scores[min(max(boxes, 1), len(scores)) - 1])

    def precision_at_recall(self, recall: float) -> float:
        """The best precision of any threshold that finds at least ``recall`` of the people (0 if none)."""
        scores, found = self._arrays()
        if not self.labels or not len(scores):
            return 0.0
        tp = np.cumsum(found)
        reached = tp / self.labels >= recall - 1e-9
        return float((tp / np.arange(1, len(tp) + 1))[reached].max()) if reached.any() else 0.0

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


@dataclass(frozen=True)
class Reach:
    """At one threshold: the share of people inside a tile someone looks at, and tiles looked at per image."""

    threshold: float
    people: float  # share of labelled people whose centre lies in a tile sent to review or flagged
    people_by_person_score: float  # the same, counting only tiles sent on their person score
    tiles_per_image: float  # tiles sent to review or flagged, per image
    tiles_by_person_score: float  # the same, counting only tiles sent on their person score
    tiles_total_per_image: float

    def line(self) -> str:
        return (
            f"people_in_sent_tiles={self.people:.3f} tiles_sent_per_image={self.tiles_per_image:.2f} "
            f"of {self.tiles_total_per_image:.2f} (person score alone: {self.people_by_person_score:.3f}, "
            f"{self.tiles_by_person_score:.2f})"
        )


@dataclass
class TileTally:
    """Accumulates, image by image, what triage would send: per tile its person and evidence scores (the
    stronger of person and clue), per labelled person the best of each over the tiles that hold its centre.
    """

    images: int = 0
    _tile_person: list[np.ndarray] = field(default_factory=list)
    _tile_evidence: list[np.ndarray] = field(default_factory=list)
    _label_person: list[np.ndarray] = field(default_factory=list)
    _label_evidence: list[np.ndarray] = field(default_factory=list)

    def add(self, windows: np.ndarray, person: np.ndarray, evidence: np.ndarray, labels: np.ndarray) -> None:
        """``windows`` (T, 4) tile x1, y1, x2, y2, their ``person`` and ``evidence`` scores (T,), and the
        labelled people's boxes (N, 4) in the same frame pixels."""
        windows = np.asarray(windows, np.float32).reshape(-1, 4)
        person, evidence = np.asarray(person, np.float32), np.asarray(evidence, np.float32)
        labels = np.asarray(labels, np.float32).reshape(-1, 4)
        cx, cy = (labels[:, 0] + labels[:, 2]) / 2, (labels[:, 1] + labels[:, 3]) / 2
        inside = (
            (cx[:, None] >= windows[None, :, 0])
            & (cx[:, None] < windows[None, :, 2])
            & (cy[:, None] >= windows[None, :, 1])
            & (cy[:, None] < windows[None, :, 3])
        )
        self._tile_person.append(person)
        self._tile_evidence.append(evidence)
        self._label_person.append(np.where(inside, person[None, :], 0.0).max(axis=1, initial=0.0))
        self._label_evidence.append(np.where(inside, evidence[None, :], 0.0).max(axis=1, initial=0.0))
        self.images += 1

    def at(self, threshold: float) -> Reach:
        def share(parts: list[np.ndarray]) -> float:
            values = np.concatenate(parts) if parts else np.zeros(0)
            return float((values >= threshold).mean()) if len(values) else 0.0

        def sent(parts: list[np.ndarray]) -> float:
            values = np.concatenate(parts) if parts else np.zeros(0)
            return float((values >= threshold).sum()) / max(self.images, 1)

        total = sum(len(t) for t in self._tile_evidence)
        return Reach(
            threshold=threshold,
            people=share(self._label_evidence),
            people_by_person_score=share(self._label_person),
            tiles_per_image=sent(self._tile_evidence),
            tiles_by_person_score=sent(self._tile_person),
            tiles_total_per_image=total / max(self.images, 1),
        )
