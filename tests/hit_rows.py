"""Insert missions' rows by hand for tests of hits and exports (the scan writes them in real use)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert

from sartriage.store import Store, schema, utcnow


def add_flight(conn: Connection, store: Store, name: str = "flight 1", folder: str | None = None) -> int:
    values = dict(
        mission_id=store.mission_id(), name=name, folder=folder or f"/card/{name}", created_at=utcnow()
    )
    return int(conn.execute(insert(schema.flights).values(**values)).inserted_primary_key[0])


def add_frame(
    conn: Connection,
    flight_id: int,
    path: str,
    *,
    width: int = 640,
    height: int = 512,
    captured_at: datetime | None = None,
    captured_local: datetime | None = None,
    lon: float | None = None,
    lat: float | None = None,
    gsd_m: float | None = None,
    footprint: Sequence[Sequence[float]] | None = None,
    meta: dict[str, Any] | None = None,
    model: str | None = "test-model",
) -> int:
    values = dict(
        flight_id=flight_id,
        path=path,
        content_hash=hashlib.sha256(f"{flight_id}/{path}".encode()).hexdigest(),
        size_bytes=1,
        status="done",
        width=width,
        height=height,
        captured_at=captured_at,
        captured_local=captured_local,
        lon=lon,
        lat=lat,
        gsd_m=gsd_m,
        footprint=[list(p) for p in footprint] if footprint is not None else None,
        meta=meta or {},
        model=model,
    )
    return int(conn.execute(insert(schema.frames).values(**values)).inserted_primary_key[0])


def add_tile(
    conn: Connection,
    frame_id: int,
    x: int,
    y: int,
    w: int = 320,
    h: int = 320,
    *,
    score: float = 0.5,
    state: str = "review",
    quality_check: bool = False,
) -> int:
    values = dict(
        frame_id=frame_id,
        x=x,
        y=y,
        w=w,
        h=h,
        scale=1.0,
        score=score,
        state=state,
        quality_check=quality_check,
    )
    return int(conn.execute(insert(schema.tiles).values(**values)).inserted_primary_key[0])


def add_detection(
    conn: Connection,
    frame_id: int,
    tile_id: int,
    box: Sequence[float],
    score: float,
    *,
    lon: float | None = None,
    lat: float | None = None,
    error_radius_m: float | None = None,
    clue_class: int | None = None,
) -> int:
    """A person box, or with ``clue_class`` a clue box of that COCO class."""
    x1, y1, x2, y2 = box
    values = dict(
        frame_id=frame_id,
        tile_id=tile_id,
        x1=x1,
        y1=y1,
        x2=x2,
        y2=y2,
        score=score,
        class_id=0 if clue_class is None else clue_class,
        clue=clue_class is not None,
        model="test-model",
        lon=lon,
        lat=lat,
        error_radius_m=error_radius_m,
    )
    return int(conn.execute(insert(schema.detections).values(**values)).inserted_primary_key[0])


def add_hit(
    conn: Connection,
    tile_id: int,
    *,
    x: float,
    y: float,
    confidence: float,
    source: str = "detector",
    status: str = "candidate",
    detection_id: int | None = None,
    lon: float | None = None,
    lat: float | None = None,
    error_radius_m: float | None = None,
    created_at: datetime | None = None,
) -> int:
    values = dict(
        tile_id=tile_id,
        detection_id=detection_id,
        source=source,
        status=status,
        x=x,
        y=y,
        lon=lon,
        lat=lat,
        error_radius_m=error_radius_m,
        confidence=confidence,
        note="",
        created_at=created_at or utcnow(),
    )
    return int(conn.execute(insert(schema.hits).values(**values)).inserted_primary_key[0])
