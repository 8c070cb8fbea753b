"""Intake: tiles the scan sent to review (and cleared tiles picked for a quality check) join the queue."""

from __future__ import annotations

from sqlalchemy import Connection, and_, exists, func, or_, select

from sartriage.review.priorities import area_boost
from sartriage.review.tables import RT
from sartriage.review.values import QueueSettings
from sartriage.store import schema, utcnow
from sartriage.store.queries import tile_clue_score
from sartriage.store.upsert import dialect_insert


def queue_new_tiles(conn: Connection, settings: QueueSettings) -> int:
    """Queue the tiles the scan added since the last call; their number."""
    T, F, FL = schema.tiles, schema.frames, schema.flights
    best_clue = tile_clue_score()  # a tile sent on a clue ranks by that clue's score
    new = conn.execute(
        select(
            T.c.id,
            T.c.score,
            func.coalesce(best_clue, 0.0).label("clue"),
            F.c.flight_id,
            FL.c.created_at,
            FL.c.priority,
            F.c.lon,
            F.c.lat,
        )
        .select_from(T.join(F, F.c.id == T.c.frame_id).join(FL, FL.c.id == F.c.flight_id))
        .where(
            or_(T.c.state == "review", and_(T.c.state == "cleared", T.c.quality_check.is_(True))),
            ~exists().where(RT.c.tile_id == T.c.id),
        )
    ).all()
    if new:
        raises = conn.execute(
            select(schema.priority_raises).where(schema.priority_raises.c.kind == "area")
        ).all()
        now = utcnow()
        rows = [
            {
                "tile_id": r.id,
                "flight_id": r.flight_id,
                "score": max(float(r.score), float(r.clue)),
                "boost": int(r.priority or 0) + area_boost(raises, r.lon, r.lat),
                "flight_created_at": r.created_at,
                "lon": r.lon,
                "lat": r.lat,
                "needed": settings.overlap,
                "answers": 0,
                "inflight": 0,
                "state": "open",
                "updated_at": now,
            }
            for r in new
        ]
        conn.execute(dialect_insert(conn, RT).on_conflict_do_nothing(), rows)
    return len(new)
