"""Small values the review queue hands out: settings, volunteers, leases, progress, status."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Literal

from sartriage.errors import ReviewError

AnswerValue = Literal["person", "no_person", "unsure"]
Truth = Literal["person", "no_person"]
ANSWER_VALUES: tuple[str, ...] = ("person", "no_person", "unsure")


@dataclass(frozen=True)
class QueueSettings:
    """How many answers a tile needs, how quality is checked, how long a lease lasts."""

    overlap: int = 3  # independent answers each tile gets at first
    max_overlap: int = 5  # most answers a disputed tile may get before it goes to the coordinator
    early_stop_answers: int = 2  # this many agreeing answers may close a tile early when confident enough
    confidence: float = 0.97  # P(person) above this, or below 1 - this, closes a tile
    candidate_threshold: float = 0.5  # a closed tile at or above this P(person) becomes a candidate hit
    person_prior: float = 0.5  # P(person) of a review tile before any answer
    lease_minutes: float = 10.0  # an unanswered tile returns to the queue after this
    honeypot_rate: float = 0.1  # share of served tiles that are known tiles
    exam_size: int = (
        5  # known tiles a new volunteer answers before their answers count (fewer if fewer exist)
    )
    exam_pass: float = (
        0.8  # share of the exam to answer right, rounded down to whole tiles: see exam_pass_mark
    )
    exam_retries: int = (
        1  # fresh starts of the entry check after failing it; the failure after those is final
    )
    prior_accuracy: float = 0.8  # assumed sensitivity and specificity before honeypots say otherwise
    prior_strength: float = 4.0  # pseudo-answers behind that assumption
    max_open_leases: int = 2  # the current tile and the prefetched next one
    sync_seconds: float = 5.0  # how often new scan tiles and confirmed hits are picked up
    seed: int | None = None  # honeypot mixing; fixed in tests

    def __post_init__(self) -> None:
        problems = []
        if not 1 <= self.overlap <= self.max_overlap <= 50:
            problems.append("need 1 <= overlap <= max_overlap <= 50")
        if self.early_stop_answers < 1:
            problems.append("early_stop_answers must be at least 1")
        if not 0.5 < self.confidence < 1:
            problems.append("confidence must be between 0.5 and 1")
        for name in ("candidate_threshold", "person_prior", "honeypot_rate", "exam_pass"):
            if not 0 <= getattr(self, name) <= 1:
                problems.append(f"{name} must be between 0 and 1")
        if not 0.5 <= self.prior_accuracy < 1:
            problems.append("prior_accuracy must be in [0.5, 1)")
        if (
            self.lease_minutes <= 0
            or self.prior_strength < 0
            or self.exam_size < 0
            or self.exam_retries < 0
            or self.max_open_leases < 1
        ):
            problems.append(
                "lease_minutes and max_open_leases must be positive, exam_size and exam_retries >= 0"
            )
        if problems:
            raise ReviewError("review settings: " + "; ".join(problems))

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))


def exam_pass_mark(size: int, share: float) -> int:
    """Right answers an entry check of ``size`` known tiles needs: ``share`` of ``size`` rounded down to a
    whole tile, and at least one.

    The check is as long as the mission's known tiles allow (at most ``exam_size``), and a small check
    allows slips in proportion: at 0.8, 5 tiles need 4 (one slip), 4 need 3, 3 need 2, 2 need 1 (one slip
    on two tiles does not fail it), 1 needs 1, 10 need 8. "Unsure" is never right on a known tile.
    """
    if size <= 0:
        return 0
    return min(size, max(1, int(share * size + 1e-9)))


@dataclass(frozen=True)
class Volunteer:
    id: int
    name: str
    role: str
    exam_state: str
    created_at: datetime
    joined_at: datetime | None
    revoked: bool

    @property
    def is_coordinator(self) -> bool:
        return self.role == "coordinator"


@dataclass(frozen=True)
class Lease:
    """One tile (or known tile) leased to one volunteer. ``public_id`` is all the volunteer sees of it."""

    public_id: str
    volunteer_id: int
    tile_id: int | None
    honeypot_id: int | None
    kind: str  # review | honeypot | exam
    expires_at: datetime


@dataclass(frozen=True)
class Accuracy:
    """A volunteer's record on known tiles; ``unsure`` answers count against neither rate."""

    known_answered: int
    correct: int
    true_pos: int
    false_neg: int
    true_neg: int
    false_pos: int
    unsure: int

    @property
    def sensitivity(self) -> float | None:
        n = self.true_pos + self.false_neg
        return self.true_pos / n if n else None

    @property
    def specificity(self) -> float | None:
        n = self.true_neg + self.false_pos
        return self.true_neg / n if n else None

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.known_answered if self.known_answered else None

    def smoothed(self, prior: float, strength: float) -> tuple[float, float]:
        """(sensitivity, specificity) pulled towards ``prior`` by ``strength`` pseudo-answers."""
        sens = (self.true_pos + prior * strength) / (self.true_pos + self.false_neg + strength)
        spec = (self.true_neg + prior * strength) / (self.true_neg + self.false_pos + strength)
        return sens, spec


NO_ACCURACY = Accuracy(0, 0, 0, 0, 0, 0, 0)


@dataclass(frozen=True)
class Progress:
    volunteer_id: int
    name: str
    exam_state: str
    exam_answered: int
    exam_size: int  # the entry check's length for this volunteer; 0 when there is none
    answers: int
    accuracy: Accuracy
    open_tiles: int
    exam_correct: int | None = None  # right answers in the entry check, once it is judged
    exam_needed: int = 0  # right answers the entry check needs (exam_pass_mark)
    exam_retries_left: int = 0  # fresh starts left after a failed entry check


@dataclass(frozen=True)
class AnswerOutcome:
    public_id: str
    answer: str
    repeated: bool  # the same answer was already stored (a retried request)
    next: Lease | None = None  # the next lease, when asked for with the answer


@dataclass(frozen=True)
class QueueStatus:
    open: int
    done: int
    escalated: int
    decided: int
    answers: int
    leased: int
    volunteers: int
    active_volunteers: int
    candidates: int
    honeypots: int
    open_escalations: int


@dataclass(frozen=True)
class Escalation:
    id: int
    tile_id: int
    created_at: datetime
    posterior: float | None
    reason: str
    answers: dict[str, int]
    decision: str | None
    conflict: str | None = None  # the decision disagrees with a later decision on the tile's hit


@dataclass(frozen=True)
class TileAnswers:
    """What the volunteers have answered on one tile so far."""

    tile_id: int
    frame: str  # the frame's file name
    state: str  # open | done | escalated | decided
    needed: int
    answers: dict[str, int]  # person / no_person / unsure -> count
    posterior: float | None


def new_token() -> str:
    return secrets.token_urlsafe(24)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
