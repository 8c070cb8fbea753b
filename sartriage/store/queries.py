"""Query pieces that several readers of the store share."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, Connection, ScalarSelect, func, or_, select

from sartriage.store import schema


def flight_is(flights: Iterable[str | int]) -> ColumnElement[bool]:
    """Rows of these flights, each given by its name or its id (as the CLI's --flight takes them)."""
    given = [str(f) for f in flights]
    ids = [int(v) for v in given if v.isdigit()]
    fl = schema.flights
    return or_(fl.c.name.in_(given), fl.c.id.in_(ids))


def flight_ids(conn: Connection, flight: str | int) -> list[int]:
    """The ids of the flights a --flight value names (by name or id); empty when none."""
    fl = schema.flights
    return list(conn.execute(select(fl.c.id).where(flight_is([flight])).order_by(fl.c.id)).scalars())


def tile_clue_score() -> ScalarSelect[float]:
    """Per row of ``tiles``: its best clue detection's score (NULL when none), a tile's rank when it was sent
    on a clue (a person the model named "kite", a backpack). Asked per tile through the detections' frame
    index."""
    t, d = schema.tiles, schema.detections
    return (
        select(func.max(d.c.score))
        .where(d.c.frame_id == t.c.frame_id, d.c.tile_id == t.c.id, d.c.clue.is_(True))
        .scalar_subquery()
    )
