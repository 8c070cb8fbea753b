"""Volunteers and the coordinator: invitations, tokens, joining, revoking, who is at work."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from sartriage.errors import Forbidden, NotFound, ReviewError
from sartriage.printable import has_control
from sartriage.review import leases, quality
from sartriage.review.rows import to_volunteer
from sartriage.review.tables import ANS, A, V
from sartriage.review.values import NO_ACCURACY, Accuracy, QueueSettings, Volunteer, hash_token, new_token
from sartriage.store import Store, utcnow

ACTIVE_SECONDS = 600  # a volunteer seen within this is "active" in the status
# a token is looked up at most this often; revoking in another process takes effect for reads within it,
# and at once for every write (each transaction re-checks the volunteer row)
AUTH_CACHE_SECONDS = 5.0


class TokenCache:
    """Who holds which token, looked up in the store at most every ``AUTH_CACHE_SECONDS``."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[Volunteer, float]] = {}
        self._lock = threading.Lock()

    def authenticate(self, store: Store, token: str) -> Volunteer | None:
        """The volunteer (or coordinator) holding ``token``; None when unknown or revoked."""
        if not token or len(token) > 200:
            return None
        digest = hash_token(token)
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(digest)
        if cached is not None and cached[1] > now:
            return cached[0]
        with store.connect() as conn:
            row = conn.execute(select(V).where(V.c.token_hash == digest)).first()
        who = None if row is None or row.revoked_at is not None else to_volunteer(row)
        if who is not None:
            with self._lock:
                if len(self._cache) > 10_000:
                    self._cache.clear()
                self._cache[digest] = (who, now + AUTH_CACHE_SECONDS)
        return who

    def forget(self) -> None:
        with self._lock:
            self._cache.clear()


def touch(conn: Connection, volunteer_id: int, now: datetime) -> Any:
    """First statement of each volunteer transaction: the write lock (SQLite), a row lock (PostgreSQL)."""
    row = conn.execute(
        update(V)
        .where(V.c.id == volunteer_id)
        .values(last_seen_at=now)
        .returning(V.c.id, V.c.name, V.c.role, V.c.exam_state, V.c.exam_retries, V.c.revoked_at)
    ).first()
    if row is None:
        raise NotFound(f"volunteer {volunteer_id} does not exist")
    if row.revoked_at is not None:
        raise Forbidden(f"{row.name}'s access was revoked by the coordinator")
    return row


def volunteer(conn: Connection, volunteer_id: int) -> Volunteer:
    row = conn.execute(select(V).where(V.c.id == volunteer_id)).first()
    if row is None:
        raise NotFound(f"no volunteer with id {volunteer_id}")
    return to_volunteer(row)


def checked_name(name: str) -> str:
    """A volunteer's name with its white space collapsed; ReviewError when it cannot be one."""
    name = " ".join(name.split())
    if not 1 <= len(name) <= 200:
        raise ReviewError("a volunteer's name must be 1 to 200 characters")
    if has_control(name):
        raise ReviewError("a volunteer's name must not hold control characters (terminal escapes)")
    return name


def invite(conn: Connection, name: str) -> tuple[Volunteer, str]:
    """Add a volunteer named ``name`` (see :func:`checked_name`); return them and their new token."""
    token = new_token()
    new_id = conn.execute(
        insert(V)
        .values(name=name, role="volunteer", token_hash=hash_token(token), created_at=utcnow())
        .returning(V.c.id)
    ).scalar_one()
    return volunteer(conn, int(new_id)), token


def checked_coordinator_token(token: str | None) -> str:
    """``token``, or a new random one; ReviewError when it is too short."""
    token = token or new_token()
    if len(token) < 16:
        raise ReviewError("a coordinator token must be at least 16 characters")
    return token


def set_coordinator_token(conn: Connection, token: str) -> None:
    updated = conn.execute(
        update(V).where(V.c.role == "coordinator").values(token_hash=hash_token(token), revoked_at=None)
    ).rowcount
    if not updated:
        conn.execute(
            insert(V).values(
                name="coordinator",
                role="coordinator",
                token_hash=hash_token(token),
                created_at=utcnow(),
                exam_state="waived",
            )
        )


def join(conn: Connection, settings: QueueSettings, volunteer_id: int, now: datetime) -> Volunteer:
    me = touch(conn, volunteer_id, now)
    conn.execute(update(V).where(V.c.id == volunteer_id, V.c.joined_at.is_(None)).values(joined_at=now))
    if me.role == "volunteer":
        quality.judge_exam(
            conn, settings, volunteer_id, me.exam_state
        )  # no known tiles to check with: waived now
    return volunteer(conn, volunteer_id)


def revoke(conn: Connection, volunteer_id: int, now: datetime) -> Volunteer:
    """Stop a volunteer: revoked, and their open leases go back to the queue."""
    row = conn.execute(select(V.c.role).where(V.c.id == volunteer_id)).first()
    if row is None or row.role != "volunteer":
        raise NotFound(f"no volunteer with id {volunteer_id}")
    conn.execute(update(V).where(V.c.id == volunteer_id).values(revoked_at=now))
    released = conn.execute(
        update(A)
        .where(A.c.volunteer_id == volunteer_id, A.c.state == "active")
        .values(state="revoked")
        .returning(A.c.tile_id)
    ).all()
    leases.release(conn, [r.tile_id for r in released])
    return volunteer(conn, volunteer_id)


def listing(conn: Connection) -> list[tuple[Volunteer, int, Accuracy]]:
    """Every volunteer with their number of answers and measured accuracy."""
    rows = conn.execute(select(V).where(V.c.role == "volunteer").order_by(V.c.id)).all()
    counts: dict[int, int] = {
        int(v): int(n)
        for v, n in conn.execute(select(ANS.c.volunteer_id, func.count()).group_by(ANS.c.volunteer_id))
    }
    accuracy = quality.accuracies(conn, [r.id for r in rows])
    return [(to_volunteer(r), int(counts.get(r.id, 0)), accuracy.get(r.id, NO_ACCURACY)) for r in rows]


def at_work(conn: Connection, now: datetime) -> int:
    """Volunteers at work: seen lately, or invited lately and about to start."""
    since = now - timedelta(seconds=ACTIVE_SECONDS)
    lately = func.coalesce(V.c.last_seen_at, V.c.created_at) >= since
    return int(
        conn.execute(
            select(func.count()).where(V.c.role == "volunteer", V.c.revoked_at.is_(None), lately)
        ).scalar()
        or 0
    )
