"""What the coordinator may do: invite and revoke volunteers, watch the queue, decide escalations,
raise priorities and re-run the aggregation."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response

from sartriage.errors import NotFound
from sartriage.review.server.deps import Context, Coordinator
from sartriage.review.server.schemas import (
    ERRORS,
    AggregateIn,
    AggregateOut,
    AreaRaiseIn,
    DbId,
    DecisionIn,
    EscalationOut,
    FlightRaiseIn,
    InviteIn,
    InviteOut,
    QueueOut,
    RaiseOut,
    VolunteerOut,
)
from sartriage.review.values import NO_ACCURACY

router = APIRouter(prefix="/api/v1/coordinator", tags=["coordinator"], responses=ERRORS)
JPEG: dict[int | str, dict[str, Any]] = {200: {"content": {"image/jpeg": {}}, "description": "the picture"}}


def invite_url(context: Context, request: Request, token: str) -> str:
    base = (context.settings.public_url or str(request.base_url)).rstrip("/")
    return f"{base}/#invite={token}"


@router.post("/volunteers", response_model=InviteOut, status_code=201)
def invite(body: InviteIn, _: Coordinator, context: Context, request: Request) -> InviteOut:
    """Add a volunteer; the answer holds their invite link, shown this once."""
    volunteer, token = context.queue.invite(body.name)
    return InviteOut(
        volunteer=VolunteerOut.of(volunteer, 0, NO_ACCURACY),
        token=token,
        invite_url=invite_url(context, request, token),
    )


@router.get("/volunteers", response_model=list[VolunteerOut])
def volunteers(_: Coordinator, context: Context) -> list[VolunteerOut]:
    """Every volunteer with their answers and measured accuracy."""
    return [VolunteerOut.of(v, n, a) for v, n, a in context.queue.volunteers()]


@router.post("/volunteers/{volunteer_id}/revoke", response_model=VolunteerOut)
def revoke(volunteer_id: DbId, _: Coordinator, context: Context) -> VolunteerOut:
    """Stop a volunteer's token; their open tiles go back to the queue."""
    context.queue.revoke(volunteer_id)
    for v, n, a in context.queue.volunteers():
        if v.id == volunteer_id:
            return VolunteerOut.of(v, n, a)
    raise NotFound(f"no volunteer with id {volunteer_id}")


@router.get("/queue", response_model=QueueOut)
def queue_status(_: Coordinator, context: Context) -> QueueOut:
    """How many tiles are open, done, escalated; answers, leases, active volunteers, candidates."""
    return QueueOut.of(context.queue.status())


@router.get("/escalations", response_model=list[EscalationOut])
def escalations(
    _: Coordinator, context: Context, include_decided: Annotated[bool, Query()] = False
) -> list[EscalationOut]:
    """Tiles the volunteers could not agree on."""
    return [EscalationOut.of(e) for e in context.queue.escalations(open_only=not include_decided)]


@router.post("/escalations/{escalation_id}/decision", response_model=EscalationOut)
def decide(escalation_id: DbId, body: DecisionIn, me: Coordinator, context: Context) -> EscalationOut:
    """Decide a disputed tile; a person becomes a confirmed hit, and the tile a known tile."""
    return EscalationOut.of(context.queue.decide(escalation_id, body.decision, me.id))


@router.get("/tiles/{tile_id}/image", response_class=Response, responses=JPEG)
def tile_image(
    tile_id: DbId,
    _: Coordinator,
    context: Context,
    view: Annotated[Literal["tile", "context"], Query()] = "tile",
) -> Response:
    """Any tile's picture, to decide an escalation."""
    return Response(context.images.tile(tile_id, view), media_type="image/jpeg")


@router.post("/priority/flights/{flight_id}", response_model=RaiseOut)
def raise_flight(flight_id: DbId, body: FlightRaiseIn, _: Coordinator, context: Context) -> RaiseOut:
    """Serve this flight's tiles before others (a negative amount lowers it)."""
    return RaiseOut(tiles=context.queue.raise_flight(flight_id, body.amount))


@router.post("/priority/area", response_model=RaiseOut)
def raise_area(body: AreaRaiseIn, _: Coordinator, context: Context) -> RaiseOut:
    """Serve tiles of frames centred in this lon/lat box first, including ones scanned later."""
    return RaiseOut(tiles=context.queue.raise_area(body.west, body.south, body.east, body.north, body.amount))


@router.post("/aggregate", response_model=AggregateOut)
def aggregate(_: Coordinator, context: Context, body: AggregateIn | None = None) -> AggregateOut:
    """Re-estimate every tile from all answers at once; tiles above the threshold become candidates."""
    report = context.queue.aggregate(body.method if body else "dawid_skene")
    return AggregateOut(**vars(report))
