"""Which detector scans which frame: the shipped model for each kind of imagery, or one forced model.

Without ``--model`` a scan uses the default model for RGB frames and the shipped thermal model for thermal
frames, so one mission can mix both kinds of flight. With ``--model`` that one model scans everything; a
kind of imagery its card is not fit for then never has a tile cleared (see ``sartriage.scan.triage``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from sartriage.detect.card import DEFAULT_MODEL
from sartriage.detect.detector import Detector
from sartriage.models import THERMAL_PERSON, shipped

DEFAULT_THERMAL_MODEL = shipped(THERMAL_PERSON)
DEFAULT_MODELS: Mapping[str, Path] = {"rgb": DEFAULT_MODEL, "thermal": DEFAULT_THERMAL_MODEL}
KIND_WORDS = {"rgb": "RGB", "thermal": "thermal"}


def shipped_label(kinds: Iterable[str] | None = None) -> str:
    """ "the shipped RGB and thermal models": what scans without ``--model`` (default: what is installed)."""
    kinds = [k for k, path in DEFAULT_MODELS.items() if path.exists()] if kinds is None else list(kinds)
    words = " and ".join(KIND_WORDS.get(k, k) for k in kinds)
    return f"the shipped {words} model{'s' if len(kinds) > 1 else ''}"


@dataclass(frozen=True)
class Models:
    """Detectors by kind of imagery; ``fallback`` scans any kind without a detector of its own."""

    by_kind: Mapping[str, Detector]
    fallback: Detector

    @classmethod
    def single(cls, detector: Detector) -> Models:
        return cls({}, detector)

    @classmethod
    def open(
        cls, model: Path | str | None = None, device: str = "auto", threads: int | None = None
    ) -> Models:
        """``model`` for every frame, or (None) the shipped model of each kind that is installed."""
        if model is not None:
            return cls.single(Detector.open(model, device=device, threads=threads))
        by_kind = {
            kind: Detector.open(path, device=device, threads=threads)
            for kind, path in DEFAULT_MODELS.items()
            if path.exists()
        }
        return cls(by_kind, by_kind.get("rgb") or Detector.open(None, device=device, threads=threads))

    def for_kind(self, kind: str) -> Detector:
        return self.by_kind.get(kind, self.fallback)

    @property
    def detectors(self) -> list[Detector]:
        """Each distinct detector once, the fallback first."""
        seen = [self.fallback]
        for detector in self.by_kind.values():
            if all(detector is not d for d in seen):
                seen.append(detector)
        return seen

    def label(self) -> str:
        """A few words for a status line: the one model's name, or which kinds the shipped models scan."""
        if len(self.detectors) == 1:
            return self.fallback.card.name or self.fallback.card.file
        return shipped_label(self.by_kind)

    def describe(self) -> str:
        """One line naming each model, what it scans, and where it runs."""
        if len(self.detectors) == 1:
            return f"model {self.fallback.card.name or self.fallback.card.file} on {self.fallback.provider}"
        parts = []
        for detector in self.detectors:
            kinds = [k for k, d in self.by_kind.items() if d is detector]
            parts.append(
                f"{detector.card.name or detector.card.file} ({', '.join(kinds)}) on {detector.provider}"
            )
        return "models: " + "; ".join(parts)
