"""Triage: which tiles the coordinator sees at once, which volunteers review, which are cleared.

A tile scoring at least the flag threshold is ``flagged``, at least the review
threshold ``review``, below it ``cleared``. A tile whose clue score (what a
lost person leaves, or what the model mistakes a person seen from above for:
the card's ``[classes] clues``) reaches the review threshold goes to
``review`` whatever its person score, but a clue never flags a tile: only the
person score sends a tile straight to the coordinator. A small random share of
cleared tiles also goes to ``review`` marked ``quality_check`` so the model's miss rate
can be measured in the field. The draw is seeded by the frame's content hash
and the tile's window, so a resumed or repeated scan picks the same tiles.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sartriage.detect.card import ModelCard
from sartriage.detect.tiling import Tile

CLEARED, REVIEW, FLAGGED = "cleared", "review", "flagged"
DEFAULT_QUALITY_SHARE = 0.02


@dataclass(frozen=True)
class TriageRules:
    review: float
    flag: float
    quality_share: float = DEFAULT_QUALITY_SHARE

    def __post_init__(self) -> None:
        for name in ("review", "flag", "quality_share"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name.replace('_', ' ')} must be between 0 and 1, got {value}")
        if self.flag < self.review:
            raise ValueError(
                f"the flag threshold ({self.flag}) must not be below the review threshold ({self.review})"
            )

    @classmethod
    def from_card(
        cls,
        card: ModelCard,
        review: float | None = None,
        flag: float | None = None,
        quality_share: float = DEFAULT_QUALITY_SHARE,
    ) -> TriageRules:
        """The card's thresholds, each overridden where a value is given.

        One threshold given alone carries the card's other one along where they would cross: a flag
        threshold under the card's review threshold also sends to review from there. Each model has its
        own card, so one override must hold for every model a scan uses."""
        chosen_review = card.thresholds.review if review is None else review
        chosen_flag = card.thresholds.flag if flag is None else flag
        if review is None:
            chosen_review = min(chosen_review, chosen_flag)
        if flag is None:
            chosen_flag = max(chosen_flag, chosen_review)
        return cls(review=chosen_review, flag=chosen_flag, quality_share=quality_share)


@dataclass(frozen=True)
class TileTriage:
    """Parallel arrays over a frame's tiles: ``states`` (str) and ``quality_check`` (bool)."""

    states: np.ndarray
    quality_check: np.ndarray


def quality_draw(frame_hash: str, tile: Tile) -> float:
    """A uniform number in [0, 1) fixed by the frame's content and the tile's window."""
    key = f"{frame_hash}:{tile.x}:{tile.y}:{tile.w}:{tile.h}".encode()
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big") / 2.0**64


def triage_tiles(
    scores: np.ndarray,
    tiles: Sequence[Tile],
    frame_hash: str,
    rules: TriageRules,
    clue_scores: np.ndarray | None = None,
    may_clear: bool = True,
) -> TileTriage:
    """States of a frame's tiles from their person ``scores`` and (optional) ``clue_scores``.

    ``may_clear`` False (a model on imagery its card is not fit for) sends every tile it would clear to
    review instead: such a model's silence is no evidence."""
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    if len(scores) != len(tiles):
        raise ValueError(f"{len(scores)} scores for {len(tiles)} tiles")
    clues = np.zeros_like(scores) if clue_scores is None else np.asarray(clue_scores, np.float64).reshape(-1)
    if len(clues) != len(tiles):
        raise ValueError(f"{len(clues)} clue scores for {len(tiles)} tiles")
    states = np.full(len(scores), CLEARED, dtype=object)
    states[np.maximum(scores, clues) >= rules.review] = REVIEW
    states[scores >= rules.flag] = FLAGGED
    if not may_clear:
        states[states == CLEARED] = REVIEW
    cleared = states == CLEARED
    quality = np.zeros(len(scores), dtype=bool)
    if rules.quality_share > 0 and cleared.any():
        draws = np.array([quality_draw(frame_hash, t) for t in tiles])
        quality = cleared & (draws < rules.quality_share)
        states[quality] = REVIEW
    return TileTriage(states=states, quality_check=quality)
