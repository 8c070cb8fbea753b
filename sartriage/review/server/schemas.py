"""The JSON the review server speaks. Volunteer schemas carry no file path, coordinate or others' answers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from sartriage.review.values import Accuracy, Escalation, Progress, QueueStatus, Volunteer

PublicId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{8,64}$", description="an assignment's public id")]
DbId = Annotated[int, Field(ge=1, le=2**31 - 1)]
Longitude = Annotated[float, Field(ge=-180, le=180)]
Latitude = Annotated[float, Field(ge=-90, le=90)]


class ErrorOut(BaseModel):
    detail: str = Field(description="what went wrong and what to do, in one line")


_ERROR_MEANINGS = {
    400: "the request breaks a rule of the queue",
    401: "no valid token",
    403: "this token may not do this",
    404: "not found among what this token may see",
    409: "clashes with the queue's state (lease expired, already answered, too many open tiles)",
    413: "request body too large",
    429: "too many requests; see Retry-After",
    503: "the mission store or a frame cannot be read right now",
}
ERRORS: dict[int | str, dict] = {
    code: {"model": ErrorOut, "description": meaning} for code, meaning in _ERROR_MEANINGS.items()
}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ── volunteers ─────────────────────────────────────────────────────────────────────────────────
class AccuracyOut(BaseModel):
    known_answered: int = Field(description="answers on tiles whose truth is known")
    correct: int
    accuracy: float | None
    sensitivity: float | None = Field(description="share of known people answered 'person'")
    specificity: float | None = Field(description="share of known empty tiles answered 'no person'")

    @classmethod
    def of(cls, a: Accuracy) -> AccuracyOut:
        return cls(
            known_answered=a.known_answered,
            correct=a.correct,
            accuracy=a.accuracy,
            sensitivity=a.sensitivity,
            specificity=a.specificity,
        )


class ProgressOut(BaseModel):
    name: str
    exam_state: Literal["pending", "passed", "failed", "waived"]
    exam_answered: int
    exam_size: int = Field(description="the entry check's length: min(configured, known tiles); 0 when none")
    exam_correct: int | None = Field(description="right answers in the entry check, once it is judged")
    exam_needed: int = Field(description="right answers the entry check needs to pass")
    exam_retries_left: int = Field(description="fresh starts left after a failed entry check")
    answers: int
    accuracy: AccuracyOut = Field(description="your record on known tiles, updated every 10 answers")
    open_tiles: int = Field(
        description="tiles in the mission still waiting for answers, from anyone; in tens above 20"
    )

    @classmethod
    def of(cls, p: Progress) -> ProgressOut:
        return cls(
            name=p.name,
            exam_state=p.exam_state,  # type: ignore[arg-type]
            exam_answered=p.exam_answered,
            exam_size=p.exam_size,
            exam_correct=p.exam_correct,
            exam_needed=p.exam_needed,
            exam_retries_left=p.exam_retries_left,
            answers=p.answers,
            accuracy=AccuracyOut.of(p.accuracy),
            open_tiles=p.open_tiles,
        )


class NextIn(Strict):
    holding: list[PublicId] = Field(
        default_factory=list, max_length=8, description="assignments the page already shows or prefetched"
    )


class AssignmentOut(BaseModel):
    id: PublicId
    image: str = Field(description="URL of the tile picture (JPEG)")
    context: str = Field(description="URL of the wider view with the tile outlined (JPEG)")
    entry_check: bool = Field(description="part of the entry check every new volunteer answers first")
    expires_at: datetime


class NextOut(BaseModel):
    assignment: AssignmentOut | None
    message: str | None = None


class AnswerIn(Strict):
    answer: Literal["person", "no_person", "unsure"]
    next: NextIn | None = Field(
        default=None, description="also take the next tile (one round trip and one commit per tile)"
    )


class AnswerOut(BaseModel):
    id: PublicId
    answer: Literal["person", "no_person", "unsure"]
    repeated: bool = Field(description="this answer was already stored (a retried request)")
    progress: ProgressOut
    next: NextOut | None = Field(default=None, description="the next tile, when asked for with the answer")


# ── coordinator ────────────────────────────────────────────────────────────────────────────────
class InviteIn(Strict):
    name: Annotated[str, Field(min_length=1, max_length=200, pattern=r"\S")]


class VolunteerOut(BaseModel):
    id: int
    name: str
    exam_state: str
    joined: bool
    revoked: bool
    answers: int
    accuracy: AccuracyOut

    @classmethod
    def of(cls, v: Volunteer, answers: int, accuracy: Accuracy) -> VolunteerOut:
        return cls(
            id=v.id,
            name=v.name,
            exam_state=v.exam_state,
            joined=v.joined_at is not None,
            revoked=v.revoked,
            answers=answers,
            accuracy=AccuracyOut.of(accuracy),
        )


class InviteOut(BaseModel):
    volunteer: VolunteerOut
    token: str = Field(description="shown once; only its hash is stored")
    invite_url: str


class QueueOut(BaseModel):
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

    @classmethod
    def of(cls, s: QueueStatus) -> QueueOut:
        return cls(**vars(s))


class EscalationOut(BaseModel):
    id: int
    tile_id: int
    created_at: datetime
    posterior: float | None
    reason: str
    answers: dict[str, int]
    decision: Literal["person", "no_person"] | None
    conflict: str | None = None  # the decision disagrees with a later decision on the tile's hit
    image: str

    @classmethod
    def of(cls, e: Escalation) -> EscalationOut:
        return cls(
            id=e.id,
            tile_id=e.tile_id,
            created_at=e.created_at,
            posterior=e.posterior,
            reason=e.reason,
            answers=e.answers,
            decision=e.decision,  # type: ignore[arg-type]
            conflict=e.conflict,
            image=f"/api/v1/coordinator/tiles/{e.tile_id}/image",
        )


class DecisionIn(Strict):
    decision: Literal["person", "no_person"]


class FlightRaiseIn(Strict):
    amount: Annotated[int, Field(ge=-1000, le=1000)] = 1


class AreaRaiseIn(Strict):
    west: Longitude
    south: Latitude
    east: Longitude
    north: Latitude
    amount: Annotated[int, Field(ge=-1000, le=1000)] = 1


class RaiseOut(BaseModel):
    tiles: int = Field(description="queued tiles whose priority changed")


class AggregateIn(Strict):
    method: Literal["dawid_skene", "majority"] = "dawid_skene"


class AggregateOut(BaseModel):
    method: str
    tiles: int
    answers: int
    candidates_added: int
    iterations: int
