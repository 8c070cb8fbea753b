"""Read-only queries the app draws from (the core owns every write and every rule).

Each function opens its own short connection so it can run on a worker thread
while the scan writes from another.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
from sqlalchemy import Connection, case, func, select

from sartriage.store import Store
from sartriage.store import schema as s
from sartriage.store.photos import photo_to_read


@dataclass(frozen=True)
class MapFrames:
    """Every frame of the mission, as parallel arrays (one row per frame)."""

    ids: np.ndarray  # int64
    flight_ids: np.ndarray  # int64
    lon: np.ndarray  # float64, NaN when unknown
    lat: np.ndarray
    status: np.ndarray  # str
    tiles_total: np.ndarray  # int64
    tiles_review: np.ndarray
    tiles_flagged: np.ndarray
    footprints: tuple[list[list[float]] | None, ...]
    order: np.ndarray  # flight track order (capture time, then path)
    paths: tuple[str, ...] = ()  # the photo files
    hashes: tuple[str, ...] = ()  # their content hashes: the name of a copy kept beside the store

    def __len__(self) -> int:
        return len(self.ids)

    def same_as(self, other: MapFrames) -> bool:
        """Nothing the map draws differs (dataclass == cannot compare numpy arrays)."""
        return (
            len(self) == len(other)
            and all(
                np.array_equal(getattr(self, name), getattr(other, name))
                for name in ("ids", "status", "tiles_total", "tiles_review", "tiles_flagged", "order")
            )
            and self.footprints == other.footprints
        )


@dataclass(frozen=True)
class FrameOverlays:
    path: Path
    width: int
    height: int
    tile_xywh: np.ndarray  # (N, 4) int
    tile_state: np.ndarray  # (N,) str
    tile_score: np.ndarray  # (N,) float
    det_xyxy: np.ndarray  # (M, 4) float
    det_score: np.ndarray  # (M,) float
    det_clue: np.ndarray  # (M,) bool: a clue class (what a lost person leaves), not a person


def map_frames(store: Store) -> MapFrames:
    fr, t = s.frames, s.tiles
    per_tile = (
        select(
            t.c.frame_id,
            func.count().label("total"),
            func.sum(case((t.c.state == "review", 1), else_=0)).label("review"),
            func.sum(case((t.c.state == "flagged", 1), else_=0)).label("flagged"),
        )
        .group_by(t.c.frame_id)
        .subquery()
    )
    query = (
        select(
            fr.c.id,
            fr.c.flight_id,
            fr.c.lon,
            fr.c.lat,
            fr.c.status,
            fr.c.footprint,
            fr.c.captured_at,
            fr.c.path,
            fr.c.content_hash,
            func.coalesce(per_tile.c.total, 0),
            func.coalesce(per_tile.c.review, 0),
            func.coalesce(per_tile.c.flagged, 0),
        )
        .outerjoin(per_tile, per_tile.c.frame_id == fr.c.id)
        .order_by(fr.c.id)
    )
    with store.connect() as conn:
        rows = conn.execute(query).all()
    as_float = lambda v: np.nan if v is None else float(v)  # noqa: E731
    track_key = sorted(
        range(len(rows)), key=lambda i: (rows[i][1], rows[i][6] is None, rows[i][6] or 0, rows[i][7])
    )
    return MapFrames(
        ids=np.array([r[0] for r in rows], dtype=np.int64),
        flight_ids=np.array([r[1] for r in rows], dtype=np.int64),
        lon=np.array([as_float(r[2]) for r in rows], dtype=np.float64),
        lat=np.array([as_float(r[3]) for r in rows], dtype=np.float64),
        status=np.array([r[4] for r in rows], dtype=object),
        footprints=tuple(r[5] for r in rows),
        tiles_total=np.array([r[9] for r in rows], dtype=np.int64),
        tiles_review=np.array([r[10] for r in rows], dtype=np.int64),
        tiles_flagged=np.array([r[11] for r in rows], dtype=np.int64),
        order=np.array(track_key, dtype=np.int64),
        paths=tuple(r[7] for r in rows),
        hashes=tuple(r[8] for r in rows),
    )


def frame_overlays(store: Store, frame_id: int) -> FrameOverlays:
    fr, t, d = s.frames, s.tiles, s.detections
    with store.connect() as conn:
        frame = conn.execute(
            select(fr.c.path, fr.c.content_hash, fr.c.width, fr.c.height).where(fr.c.id == frame_id)
        ).one()
        tiles = conn.execute(
            select(t.c.x, t.c.y, t.c.w, t.c.h, t.c.state, t.c.score).where(t.c.frame_id == frame_id)
        ).all()
        dets = conn.execute(
            select(d.c.x1, d.c.y1, d.c.x2, d.c.y2, d.c.score, d.c.clue).where(d.c.frame_id == frame_id)
        ).all()
    return FrameOverlays(
        path=photo_to_read(store, frame.path, frame.content_hash),
        width=int(frame.width or 0),
        height=int(frame.height or 0),
        tile_xywh=np.array([r[:4] for r in tiles], dtype=np.int64).reshape(-1, 4),
        tile_state=np.array([r[4] for r in tiles], dtype=object),
        tile_score=np.array([r[5] for r in tiles], dtype=np.float64),
        det_xyxy=np.array([r[:4] for r in dets], dtype=np.float64).reshape(-1, 4),
        det_score=np.array([r[4] for r in dets], dtype=np.float64),
        det_clue=np.array([bool(r[5]) for r in dets], dtype=bool),
    )


@dataclass(frozen=True)
class TilePlace:
    frame_id: int
    xywh: tuple[int, int, int, int]


def tile_place(store: Store, tile_id: int) -> TilePlace:
    """Which frame a tile is in and where (to show an escalated tile)."""
    t = s.tiles
    with store.connect() as conn:
        row = conn.execute(select(t.c.frame_id, t.c.x, t.c.y, t.c.w, t.c.h).where(t.c.id == tile_id)).one()
    return TilePlace(int(row[0]), (int(row[1]), int(row[2]), int(row[3]), int(row[4])))


def volunteers_last_seen(store: Store) -> dict[int, datetime | None]:
    """When each volunteer last reached the server (the core's Volunteer value does not carry it)."""
    v = s.volunteers
    with store.connect() as conn:
        rows = conn.execute(select(v.c.id, v.c.last_seen_at).where(v.c.role == "volunteer")).all()
    return {int(r[0]): r[1] for r in rows}


def volunteer_votes(conn: Connection, tile_ids: list[int] | None = None) -> dict[int, dict[str, int]]:
    """How volunteers answered each tile (``tile_ids``, or every answered one when None):
    {tile id: {"person": n, "no_person": n, "unsure": n}}."""
    if tile_ids is not None and not tile_ids:
        return {}
    a = s.answers
    query = select(a.c.tile_id, a.c.answer, func.count()).where(a.c.tile_id.is_not(None))
    if tile_ids is not None:
        query = query.where(a.c.tile_id.in_(tile_ids))
    rows = conn.execute(query.group_by(a.c.tile_id, a.c.answer)).all()
    out: dict[int, dict[str, int]] = {}
    for tile_id, answer, n in rows:
        out.setdefault(int(tile_id), {})[str(answer)] = int(n)
    return out


def agreement(votes: dict[str, int]) -> str:
    """Volunteer agreement as the list shows it: how many of those who answered saw a person."""
    total = sum(votes.values())
    return f"volunteers {votes.get('person', 0)}/{total} person" if total else ""
