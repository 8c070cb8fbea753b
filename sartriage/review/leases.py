"""Leases: which tile a volunteer is shown next, for how long, and what happens when it runs out."""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, exists, insert, select, update

from sartriage.errors import Conflict, Forbidden, NotFound
from sartriage.review import quality
from sartriage.review.rows import to_lease
from sartriage.review.tables import RT, A, E, H
from sartriage.review.values import Lease, QueueSettings, new_token
from sartriage.store.upsert import dialect_insert


@dataclass(frozen=True)
class Draws:
    """Whether the next tile is a known one (``roll``), and which (``pick``); one lock for both."""

    roll: random.Random
    pick: random.Random
    lock: threading.Lock

    def chance(self) -> float:
        with self.lock:
            return self.roll.random()

    def choose(self, ids: Sequence[int]) -> int:
        with self.lock:
            return int(self.pick.choice(ids))


def expire(conn: Connection, now: datetime) -> int:
    """Return leases past their time to the queue; the count returned."""
    gone = conn.execute(
        update(A)
        .where(A.c.state == "active", A.c.expires_at < now)
        .values(state="expired")
        .returning(A.c.tile_id)
    ).all()
    release(conn, [r.tile_id for r in gone])
    return len(gone)


def release(conn: Connection, tile_ids: Iterable[int | None]) -> None:
    for tile_id, n in sorted(Counter(t for t in tile_ids if t is not None).items()):
        conn.execute(update(RT).where(RT.c.tile_id == tile_id).values(inflight=RT.c.inflight - n))


def pick_next(
    conn: Connection, settings: QueueSettings, draws: Draws, me: Any, holding: set[str], now: datetime
) -> tuple[Lease | None, str]:
    """The lease to show next and the volunteer's exam state, inside the caller's transaction."""
    if me.role != "volunteer":
        raise Forbidden("the coordinator token cannot review tiles; use a volunteer invite")
    open_leases = conn.execute(
        select(A)
        .where(A.c.volunteer_id == me.id, A.c.state == "active", A.c.expires_at >= now)
        .order_by(A.c.id)
    ).all()
    for lease in open_leases:
        if lease.public_id not in holding:
            return to_lease(lease), me.exam_state
    if len(open_leases) >= settings.max_open_leases:
        raise Conflict(f"answer one of your {len(open_leases)} open tiles before asking for another")
    exam_state, exam = quality.judge_exam(conn, settings, me.id, me.exam_state)
    if exam is not None and exam.answered + exam.in_flight < exam.size(settings.exam_size):
        honeypot = _pick_honeypot(conn, draws, me.id)
        if honeypot is not None:
            return _lease(conn, settings, me.id, now, kind="exam", honeypot_id=honeypot), exam_state
    if exam_state in ("passed", "waived"):
        return _lease_work(conn, settings, draws, me.id, now), exam_state
    return None, exam_state  # failed, or the rest of the entry check is on the page already


def _lease_work(
    conn: Connection, settings: QueueSettings, draws: Draws, volunteer_id: int, now: datetime
) -> Lease | None:
    if draws.chance() < settings.honeypot_rate:
        honeypot = _pick_honeypot(conn, draws, volunteer_id)
        if honeypot is not None:
            return _lease(conn, settings, volunteer_id, now, kind="honeypot", honeypot_id=honeypot)
    tile_id = _claim_tile(conn, volunteer_id)
    if tile_id is None:
        return None
    return _lease(conn, settings, volunteer_id, now, kind="review", tile_id=tile_id)


def _claim_tile(conn: Connection, volunteer_id: int) -> int | None:
    seen_tile = exists().where(A.c.volunteer_id == volunteer_id, A.c.tile_id == RT.c.tile_id)
    seen_as_known = exists().where(
        A.c.volunteer_id == volunteer_id, A.c.honeypot_id == H.c.id, H.c.tile_id == RT.c.tile_id
    )
    query = (
        select(RT.c.tile_id)
        .where(
            RT.c.state == "open",
            RT.c.answers + RT.c.inflight < RT.c.needed,
            ~seen_tile,
            ~seen_as_known,
        )
        .order_by(RT.c.boost.desc(), RT.c.score.desc(), RT.c.flight_created_at.desc(), RT.c.tile_id)
        .limit(1)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=RT)
    tile_id = conn.execute(query).scalar()
    if tile_id is None:
        return None
    taken = conn.execute(
        update(RT)
        .where(RT.c.tile_id == tile_id, RT.c.state == "open", RT.c.answers + RT.c.inflight < RT.c.needed)
        .values(inflight=RT.c.inflight + 1)
    ).rowcount
    return int(tile_id) if taken else None


def _pick_honeypot(conn: Connection, draws: Draws, volunteer_id: int) -> int | None:
    unseen = (
        conn.execute(select(H.c.id).where(*quality.unseen_honeypots(volunteer_id)).order_by(H.c.id))
        .scalars()
        .all()
    )
    if not unseen:
        return None
    return draws.choose(unseen)


def _lease(
    conn: Connection,
    settings: QueueSettings,
    volunteer_id: int,
    now: datetime,
    *,
    kind: str,
    tile_id: int | None = None,
    honeypot_id: int | None = None,
) -> Lease:
    public_id, expires_at = new_token()[:24], now + timedelta(minutes=settings.lease_minutes)
    values = {
        "public_id": public_id,
        "volunteer_id": volunteer_id,
        "tile_id": tile_id,
        "honeypot_id": honeypot_id,
        "kind": kind,
        "state": "active",
        "created_at": now,
        "expires_at": expires_at,
    }
    conn.execute(insert(A).values(**values))
    return Lease(public_id, volunteer_id, tile_id, honeypot_id, kind, expires_at)


def own_lease(conn: Connection, volunteer_id: int, public_id: str) -> Lease:
    """One of the volunteer's own leases (any state); NotFound for anyone else's."""
    row = conn.execute(select(A).where(A.c.public_id == public_id, A.c.volunteer_id == volunteer_id)).first()
    if row is None:
        raise NotFound(f"no tile {public_id!r} among your assignments")
    return to_lease(row)


def unreadable(conn: Connection, volunteer_id: int, public_id: str, reason: str, now: datetime) -> int | None:
    """Release a lease whose picture cannot be made; a known tile is retired, a tile to review goes to
    the coordinator (its id returned)."""
    lease = conn.execute(
        update(A)
        .where(A.c.public_id == public_id, A.c.volunteer_id == volunteer_id, A.c.state == "active")
        .values(state="revoked")
        .returning(A.c.tile_id, A.c.honeypot_id)
    ).first()
    if lease is None:
        return None
    if lease.honeypot_id is not None:
        conn.execute(update(H).where(H.c.id == lease.honeypot_id).values(active=False))
        return None
    release(conn, [lease.tile_id])
    opened = conn.execute(
        update(RT).where(RT.c.tile_id == lease.tile_id, RT.c.state == "open").values(state="escalated")
    ).rowcount
    if opened:
        conn.execute(
            dialect_insert(conn, E)
            .values(
                tile_id=lease.tile_id,
                created_at=now,
                reason=f"picture cannot be read: {reason}"[:500],
            )
            .on_conflict_do_nothing()
        )
    return int(lease.tile_id)
