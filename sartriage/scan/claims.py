"""Frames as a work queue in the store: register them pending, claim one at a time, release on death.

A claim is a single UPDATE of one pending row, chosen by a sub-select that on
PostgreSQL takes the row lock with ``FOR UPDATE SKIP LOCKED`` (several workers,
one mission) and on SQLite is atomic because SQLite serialises writers (one
worker per store). Live workers refresh ``claimed_at``; a claim older than the
timeout belongs to a dead worker and goes back to pending.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import ColumnElement, Connection, and_, func, select, update

from sartriage.store import Store, schema, utcnow
from sartriage.store.upsert import dialect_insert

log = logging.getLogger(__name__)

frames = schema.frames
flights = schema.flights


@dataclass(frozen=True)
class Claim:
    """A frame this worker holds: its row id, file and content hash."""

    frame_id: int
    path: Path
    content_hash: str


@dataclass(frozen=True)
class NewFrame:
    path: Path
    content_hash: str
    size_bytes: int


def ensure_flight(store: Store, name: str, folder: Path) -> int:
    """The id of the mission's flight for ``folder``, created (named ``name``) on first use."""
    mission_id = store.mission_id()
    folder_text = str(folder)
    with store.begin() as conn:
        conn.execute(
            dialect_insert(conn, flights)
            .values(mission_id=mission_id, name=name, folder=folder_text, created_at=utcnow(), priority=0)
            .on_conflict_do_nothing()
        )
        return int(
            conn.execute(
                select(flights.c.id).where(
                    flights.c.mission_id == mission_id, flights.c.folder == folder_text
                )
            ).scalar_one()
        )


@dataclass(frozen=True)
class KnownFile:
    frame_id: int
    size_bytes: int
    status: str


@dataclass(frozen=True)
class Registered:
    added: int  # new pending frames, including failed ones whose file was replaced
    duplicates: tuple[tuple[Path, str], ...] = ()  # (file, frame already holding the same content)


def known_files(store: Store, flight_id: int) -> dict[str, KnownFile]:
    """Path -> row of every frame the flight holds (an unchanged file need not be hashed again)."""
    with store.connect() as conn:
        rows = conn.execute(
            select(frames.c.path, frames.c.id, frames.c.size_bytes, frames.c.status).where(
                frames.c.flight_id == flight_id
            )
        )
        return {path: KnownFile(frame_id, size, status) for path, frame_id, size, status in rows}


def register(
    store: Store, flight_id: int, found: Sequence[NewFrame], known: Mapping[str, KnownFile] | None = None
) -> Registered:
    """Queue new frames as pending; content the mission already holds is a duplicate and skipped.

    A file at the path of a failed frame (copied off the card again) replaces that frame's content and
    goes back in the queue.
    """
    known = known or {}
    with store.begin() as conn:
        held = dict(
            conn.execute(
                select(frames.c.content_hash, frames.c.path).where(
                    frames.c.content_hash.in_({f.content_hash for f in found})
                )
            ).all()
        )
        duplicates, rows, replaced = [], [], 0
        for f in found:
            if f.content_hash in held:
                if held[f.content_hash] != str(f.path):
                    duplicates.append((f.path, held[f.content_hash]))
                continue
            held[f.content_hash] = str(f.path)
            old = known.get(str(f.path))
            if old is not None and old.status == "failed":
                replaced += conn.execute(
                    update(frames)
                    .where(frames.c.id == old.frame_id, frames.c.status == "failed")
                    .values(
                        content_hash=f.content_hash, size_bytes=f.size_bytes, status="pending", error=None
                    )
                ).rowcount
                continue
            rows.append(
                {
                    "flight_id": flight_id,
                    "path": str(f.path),
                    "content_hash": f.content_hash,
                    "size_bytes": f.size_bytes,
                    "status": "pending",
                }
            )
        added = 0
        if rows:  # DO NOTHING: another worker may have queued the same files a moment ago
            added = len(
                conn.execute(
                    dialect_insert(conn, frames).on_conflict_do_nothing().returning(frames.c.id), rows
                ).all()
            )
    return Registered(added=added + replaced, duplicates=tuple(duplicates))


def claim_next(store: Store, flight_id: int, worker_id: str) -> Claim | None:
    """Take the flight's next pending frame for ``worker_id``, or None when none is pending."""
    pick = (
        select(frames.c.id)
        .where(frames.c.flight_id == flight_id, frames.c.status == "pending")
        .order_by(frames.c.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    with store.begin() as conn:
        row = conn.execute(
            update(frames)
            .where(frames.c.id == pick, frames.c.status == "pending")
            .values(status="claimed", claimed_by=worker_id, claimed_at=utcnow())
            .returning(frames.c.id, frames.c.path, frames.c.content_hash)
        ).first()
    if row is None:
        return None
    return Claim(frame_id=int(row[0]), path=Path(row[1]), content_hash=str(row[2]))


def _back_to_pending(conn: Connection, *where: ColumnElement[bool]) -> int:
    result = conn.execute(
        update(frames)
        .where(frames.c.status == "claimed", *where)
        .values(status="pending", claimed_by=None, claimed_at=None)
    )
    return max(result.rowcount, 0)


def release_stale(store: Store, timeout_s: float) -> int:
    """Give back the claims of workers silent for longer than ``timeout_s`` (they died)."""
    cutoff = utcnow() - timedelta(seconds=timeout_s)
    with store.begin() as conn:
        released = _back_to_pending(conn, frames.c.claimed_at < cutoff)
    if released:
        log.warning("released %d frame(s) claimed by a worker silent for over %.0f s", released, timeout_s)
    return released


def release_worker(store: Store, worker_id: str, frame_ids: Sequence[int] | None = None) -> int:
    """Give back ``worker_id``'s claims (all of them, or only ``frame_ids``)."""
    where = [frames.c.claimed_by == worker_id]
    if frame_ids is not None:
        if not frame_ids:
            return 0
        where.append(frames.c.id.in_(list(frame_ids)))
    with store.begin() as conn:
        return _back_to_pending(conn, *where)


def release_all(store: Store, flight_id: int) -> int:
    """Give back every claim of the flight (SQLite: one worker per store, so any claim is a dead one's)."""
    with store.begin() as conn:
        return _back_to_pending(conn, frames.c.flight_id == flight_id)


def heartbeat(store: Store, worker_id: str) -> None:
    """Tell the other workers this one is alive: its claims are not stale."""
    with store.begin() as conn:
        conn.execute(
            update(frames)
            .where(frames.c.claimed_by == worker_id, frames.c.status == "claimed")
            .values(claimed_at=utcnow())
        )


def retry_failed(store: Store, flight_id: int) -> int:
    """Put the flight's failed frames back in the queue (the files were fixed or replaced)."""
    with store.begin() as conn:
        result = conn.execute(
            update(frames)
            .where(frames.c.flight_id == flight_id, frames.c.status == "failed")
            .values(status="pending", error=None, processed_at=None)
        )
        return max(result.rowcount, 0)


def claimed_by_others(store: Store, flight_id: int, worker_id: str) -> int:
    """How many of the flight's frames other workers hold now."""
    with store.connect() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(frames)
                .where(
                    and_(
                        frames.c.flight_id == flight_id,
                        frames.c.status == "claimed",
                        frames.c.claimed_by != worker_id,
                    )
                )
            ).scalar_one()
        )


def status_counts(store: Store, flight_id: int) -> dict[str, int]:
    """Frames of the flight per status (every status present, zero when none)."""
    with store.connect() as conn:
        rows = conn.execute(
            select(frames.c.status, func.count())
            .where(frames.c.flight_id == flight_id)
            .group_by(frames.c.status)
        )
        counts = dict.fromkeys(schema.FRAME_STATES, 0)
        counts.update({status: int(n) for status, n in rows})
    return counts


def resumed_differently(store: Store, flight_id: int, models: set[str], dem: Path | None) -> str | None:
    """One line when the flight's frames done so far were scanned with other models or another terrain
    model than this run will use: the flight would mix them. None when nothing differs."""
    f = schema.frames
    with store.connect() as conn:
        rows = conn.execute(
            select(f.c.model, f.c.georef).where(f.c.flight_id == flight_id, f.c.status == "done")
        ).all()
    if not rows:
        return None
    earlier_models = {str(r.model) for r in rows if r.model} - models
    earlier_dems = {((r.georef or {}).get("dem") or {}).get("path") for r in rows if r.georef}
    wanted_dem = str(Path(dem).resolve()) if dem is not None else None
    changes = []
    if earlier_models:
        changes.append(f"model {', '.join(sorted(earlier_models))} (now {', '.join(sorted(models))})")
    if earlier_dems - {wanted_dem}:
        before = ", ".join(sorted(d or "flat ground" for d in earlier_dems))
        changes.append(f"terrain {before} (now {wanted_dem or 'flat ground'})")
    if not changes:
        return None
    return (
        f"this flight's {len(rows)} frames done so far were scanned with another {' and '.join(changes)}: "
        "the flight mixes them; scan with the same settings to keep it one"
    )
