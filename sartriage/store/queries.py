"""Query pieces that several readers of the store share."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, Connection, or_, select

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
