"""What a volunteer may do: join, get the next tile, see its pictures, answer, see their own progress,
retry a failed entry check."""

from __future__ import annotations

from contextlib import suppress
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, HTTPException, Query, Response

from sartriage.errors import FrameError
from sartriage.review.server.deps import Context, CurrentVolunteer
from sartriage.review.server.schemas import (
    ERRORS,
    AnswerIn,
    AnswerOut,
    AssignmentOut,
    ErrorOut,
    NextIn,
    NextOut,
    ProgressOut,
    PublicId,
)
from sartriage.review.values import Lease

router = APIRouter(prefix="/api/v1", tags=["volunteer"], responses=ERRORS)
JPEG: dict[int | str, dict[str, Any]] = {200: {"content": {"image/jpeg": {}}, "description": "the picture"}}
GONE: dict[int | str, dict[str, Any]] = {
    410: {"model": ErrorOut, "description": "the picture cannot be made; the tile went to the coordinator"}
}
NOTHING_NOW = "no tile needs review right now; new tiles arrive as flights are scanned"


@router.post("/join", response_model=ProgressOut)
def join(me: CurrentVolunteer, context: Context) -> ProgressOut:
    """Start (or come back) with an invite token."""
    context.queue.join(me.id)
    return ProgressOut.of(context.queue.progress(me.id))


@router.get("/me", response_model=ProgressOut)
def my_progress(me: CurrentVolunteer, context: Context) -> ProgressOut:
    """Your answers, entry check and accuracy on known tiles."""
    return ProgressOut.of(context.queue.progress(me.id))


@router.post("/exam/retry", response_model=ProgressOut)
def retry_exam(me: CurrentVolunteer, context: Context) -> ProgressOut:
    """Start a failed entry check afresh; allowed once (403 when no retry is left)."""
    context.queue.retry_exam(me.id)
    return ProgressOut.of(context.queue.progress(me.id))


@router.post("/assignments", response_model=NextOut)
def next_assignment(
    me: CurrentVolunteer, context: Context, body: Annotated[NextIn | None, Body()] = None
) -> NextOut:
    """Your next tile. List in ``holding`` the tiles the page already has, to get a new one."""
    lease = context.queue.next_lease(me.id, holding=body.holding if body else ())
    if lease is None:
        return NextOut(assignment=None, message=NOTHING_NOW)
    context.warmer.submit(_warm, context, lease)
    return NextOut(assignment=_assignment(lease))


@router.get("/assignments/{assignment_id}/image", response_class=Response, responses=JPEG | GONE)
def assignment_image(
    assignment_id: PublicId,
    me: CurrentVolunteer,
    context: Context,
    view: Annotated[Literal["tile", "context"], Query()] = "tile",
) -> Response:
    """The tile's picture, or its surroundings with the tile outlined."""
    lease = context.queue.lease(me.id, assignment_id)
    try:
        data = context.images.for_volunteer(_picture(context, lease, view), me.id)
    except FrameError as exc:
        context.queue.unreadable(me.id, assignment_id, str(exc))
        raise HTTPException(
            410, "this tile's picture cannot be read; it went to the coordinator: take the next"
        ) from exc
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"})


@router.post("/assignments/{assignment_id}/answer", response_model=AnswerOut)
def answer(assignment_id: PublicId, body: AnswerIn, me: CurrentVolunteer, context: Context) -> AnswerOut:
    """Answer one of your tiles: person, no_person or unsure. Answers cannot be changed.

    With ``next`` the answer also brings your next tile, as ``POST /assignments`` would.
    """
    holding = body.next.holding if body.next else ()
    outcome = context.queue.answer(
        me.id, assignment_id, body.answer, then_next=body.next is not None, holding=holding
    )
    upcoming = None
    if body.next is not None:
        upcoming = NextOut(assignment=None, message=NOTHING_NOW)
        if outcome.next is not None:
            context.warmer.submit(_warm, context, outcome.next)
            upcoming = NextOut(assignment=_assignment(outcome.next))
    return AnswerOut(
        id=outcome.public_id,
        answer=body.answer,
        repeated=outcome.repeated,
        progress=ProgressOut.of(context.queue.progress(me.id)),
        next=upcoming,
    )


def _assignment(lease: Lease) -> AssignmentOut:
    base = f"/api/v1/assignments/{lease.public_id}/image"
    return AssignmentOut(
        id=lease.public_id,
        image=base,
        context=f"{base}?view=context",
        entry_check=lease.kind == "exam",
        expires_at=lease.expires_at,
    )


def _picture(context: Context, lease: Lease, view: Literal["tile", "context"]) -> bytes:
    if lease.tile_id is not None:
        return context.images.tile(lease.tile_id, view)
    assert lease.honeypot_id is not None
    return context.images.honeypot(lease.honeypot_id, view)


def _warm(context: Context, lease: Lease) -> None:
    """Cut the pictures before the page asks, so the next tile shows at once."""
    with suppress(Exception):  # best effort: the page's own request reports any error
        _picture(context, lease, "tile")
