"""Building mission stores with frames and review tiles written directly, as a scan would leave them."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import hit_rows
import numpy as np
from hit_rows import add_tile
from sqlalchemy import insert, select, update

from sartriage.review import QueueSettings, ReviewQueue
from sartriage.store import Store, schema, utcnow

HERIDAL = "labelled/heridal_crops_340/images"
LACMUS = "geotagged/lacmus_ladd_335/335.jpg"


@dataclass(frozen=True)
class Mission:
    store: Store
    tile_ids: list[int]
    flight_ids: list[int]


def add_flight(store: Store, name: str, *, age_hours: float = 0.0) -> int:
    with store.begin() as conn:
        return int(
            conn.execute(
                insert(schema.flights).values(
                    mission_id=store.mission_id(),
                    name=name,
                    folder=f"/cards/{name}",
                    created_at=utcnow() - timedelta(hours=age_hours),
                    priority=0,
                )
            ).inserted_primary_key[0]
        )


def add_frame(
    store: Store,
    flight_id: int,
    path: Path | str,
    *,
    width: int,
    height: int,
    lon: float | None = None,
    lat: float | None = None,
) -> int:
    with store.begin() as conn:
        return hit_rows.add_frame(
            conn, flight_id, str(path), width=width, height=height, lon=lon, lat=lat, model=None
        )


def add_tiles(
    store: Store,
    frame_id: int,
    windows: list[tuple[int, int, int, int]],
    scores: list[float],
    state: str = "review",
    quality_check: bool = False,
) -> list[int]:
    with store.begin() as conn:
        return [
            add_tile(conn, frame_id, x, y, w, h, score=score, state=state, quality_check=quality_check)
            for (x, y, w, h), score in zip(windows, scores, strict=True)
        ]


def grid_mission(store: Store, image: Path | str, n_frames: int, *, seed: int = 0) -> Mission:
    """``n_frames`` frames of one 340x340 image, four 170x170 review tiles each, scores at random."""
    rng = np.random.default_rng(seed)
    flight = add_flight(store, "flight-1")
    tiles: list[int] = []
    windows = [(0, 0, 170, 170), (170, 0, 170, 170), (0, 170, 170, 170), (170, 170, 170, 170)]
    for i in range(n_frames):
        frame = add_frame(store, flight, f"{image}#{i}" if i else image, width=340, height=340)
        tiles += add_tiles(store, frame, windows, list(rng.uniform(0.2, 0.6, 4)))
    return Mission(store, tiles, [flight])


def confirm(store: Store, tile_id: int, status: str) -> None:
    """The coordinator's verdict on a tile: ``confirmed`` (a person) or ``rejected`` (empty)."""
    with store.begin() as conn:
        conn.execute(
            insert(schema.hits).values(
                tile_id=tile_id,
                source="detector",
                status=status,
                x=1.0,
                y=1.0,
                confidence=0.9,
                note="",
                created_at=utcnow(),
            )
        )


def review_row(store: Store, tile_id: int) -> dict:
    with store.connect() as conn:
        return dict(
            conn.execute(select(schema.review_tiles).where(schema.review_tiles.c.tile_id == tile_id))
            .one()
            ._mapping
        )


def expire_all(store: Store) -> None:
    with store.begin() as conn:
        conn.execute(
            update(schema.assignments)
            .where(schema.assignments.c.state == "active")
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )


def make_queue(store: Store, **settings: object) -> ReviewQueue:
    base: dict[str, object] = {"seed": 7, "sync_seconds": 0.0, "honeypot_rate": 0.0, "exam_size": 0}
    base.update(settings)
    return ReviewQueue(store, QueueSettings(**base))  # type: ignore[arg-type]


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
