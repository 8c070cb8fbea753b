"""The coordinator's priorities: a flight's or an area's tiles served before others."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, insert, update

from sartriage.errors import NotFound, ReviewError
from sartriage.review.tables import RT
from sartriage.store import schema, utcnow


def raise_flight(conn: Connection, flight_id: int, amount: int) -> int:
    """Serve a flight's tiles before others; returns the number of queued tiles raised."""
    found = conn.execute(
        update(schema.flights)
        .where(schema.flights.c.id == flight_id)
        .values(priority=schema.flights.c.priority + amount)
    ).rowcount
    if not found:
        raise NotFound(f"no flight with id {flight_id}")
    conn.execute(
        insert(schema.priority_raises).values(
            kind="flight", flight_id=flight_id, amount=amount, created_at=utcnow()
        )
    )
    return int(
        conn.execute(update(RT).where(RT.c.flight_id == flight_id).values(boost=RT.c.boost + amount)).rowcount
    )


def check_area(west: float, south: float, east: float, north: float) -> None:
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise ReviewError("an area is west < east in -180..180 and south < north in -90..90 (degrees)")


def raise_area(conn: Connection, west: float, south: float, east: float, north: float, amount: int) -> int:
    """Serve tiles of frames centred in a lon/lat box (see :func:`check_area`) before others; the tiles
    scanned later get the same boost from :func:`area_boost`."""
    conn.execute(
        insert(schema.priority_raises).values(
            kind="area",
            west=west,
            south=south,
            east=east,
            north=north,
            amount=amount,
            created_at=utcnow(),
        )
    )
    return int(
        conn.execute(
            update(RT)
            .where(RT.c.lon.between(west, east), RT.c.lat.between(south, north))
            .values(boost=RT.c.boost + amount)
        ).rowcount
    )


def area_boost(raises: Sequence[Any], lon: float | None, lat: float | None) -> int:
    if lon is None or lat is None:
        return 0
    return sum(int(r.amount) for r in raises if r.west <= lon <= r.east and r.south <= lat <= r.north)
