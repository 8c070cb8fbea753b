"""Hit candidates and the coordinator's decisions on them, without Qt.

A hit row is a candidate put up by the detector (a flagged tile) or by the
volunteers (aggregated answers). The coordinator confirms or rejects it, adds
notes, and once a ground team has been there marks it found or not found. Every
action is one transaction that re-checks the hit's status in the same UPDATE,
so two coordinators on one PostgreSQL store cannot both move the same hit.

The app and ``sartriage hits …`` call the same functions here.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path, PurePath
from typing import Any

import numpy as np
from sqlalchemy import Select, and_, func, insert, or_, select, update
from sqlalchemy.engine import Connection, RowMapping

from sartriage.errors import ReviewError, SartriageError
from sartriage.store import Store, schema, stored_utc, utcnow
from sartriage.store.photos import photo_to_read
from sartriage.store.queries import flight_is
from sartriage.store.upsert import insert_if_new

log = logging.getLogger(__name__)

HIT_STATES = schema.HIT_STATES
SOURCES = ("detector", "volunteers", "coordinator")

# status a hit moves to -> statuses it may come from
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "confirmed": ("candidate", "rejected", "not_found"),
    "rejected": ("candidate", "confirmed"),
    "found": ("confirmed", "not_found"),
    "not_found": ("confirmed",),
    "candidate": ("confirmed", "rejected", "found", "not_found"),
}
ACTION_NAMES = {
    "confirmed": "confirm it",
    "rejected": "reject it",
    "found": "mark it found",
    "not_found": "mark it not found",
    "candidate": "reopen it",
}


@dataclass(frozen=True)
class Hit:
    """One candidate with what an export or the app needs around it."""

    id: int
    status: str
    source: str
    confidence: float
    x: float  # point of interest in frame pixels
    y: float
    lon: float | None
    lat: float | None
    error_radius_m: float | None
    note: str
    created_at: datetime
    decided_at: datetime | None
    tile_id: int
    tile: tuple[int, int, int, int]  # x, y, w, h in frame pixels
    tile_state: str
    detection_id: int | None
    box: tuple[float, float, float, float] | None  # x1, y1, x2, y2 in frame pixels, when from a detection
    detection_score: float | None
    frame_id: int
    frame_path: str
    frame_size: tuple[int | None, int | None]
    captured_at: datetime | None  # UTC, when the photo tells its time zone
    flight_id: int
    flight_name: str
    captured_local: datetime | None = None  # the camera's clock, when the photo does not tell its zone
    pixels_path: str = ""  # where its pixels are read: the photo, or its copy beside the store once gone

    @property
    def frame_name(self) -> str:
        return PurePath(self.frame_path).name

    @property
    def photo(self) -> Path:
        """The file to read the hit's pixels from (the photo, or its copy kept beside the store)."""
        return Path(self.pixels_path or self.frame_path)

    @property
    def located(self) -> bool:
        return self.lon is not None and self.lat is not None

    @property
    def time(self) -> datetime:
        """When the person was seen, to sort by: the capture time in UTC, else when the candidate was raised
        (a camera clock of unknown zone cannot be put on the same line as UTC times)."""
        return self.captured_at or self.created_at

    @property
    def seen_time(self) -> datetime | None:
        """The capture time: in UTC when the photo told its zone, else the camera's clock (naive)."""
        return self.captured_at.astimezone(UTC) if self.captured_at is not None else self.captured_local

    @property
    def seen(self) -> str:
        """When the person was seen, in words that never call a camera's local clock UTC."""
        t = self.seen_time
        if t is None:
            return "capture time unknown"
        return f"{t:%Y-%m-%d %H:%M:%S} " + ("UTC" if t.tzinfo else "camera clock (time zone unknown)")

    @property
    def seen_iso(self) -> str | None:
        """ISO 8601: with +00:00 when in UTC; without an offset for a camera clock of unknown zone."""
        return None if self.seen_time is None else self.seen_time.isoformat()


@dataclass(frozen=True)
class HitFilter:
    """Which hits to list or export; empty fields do not filter."""

    statuses: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    flights: tuple[str, ...] = ()  # flight names or ids (as text)
    since: datetime | None = None  # capture time (or creation time when unknown), inclusive
    until: datetime | None = None
    min_score: float | None = None
    max_score: float | None = None
    ids: tuple[int, ...] = field(default=())

    def __post_init__(self) -> None:
        bad = [s for s in self.statuses if s not in HIT_STATES]
        if bad:
            raise ReviewError(f"unknown hit status {bad[0]!r}; choose from {', '.join(HIT_STATES)}")
        bad = [s for s in self.sources if s not in SOURCES]
        if bad:
            raise ReviewError(f"unknown hit source {bad[0]!r}; choose from {', '.join(SOURCES)}")
        if self.since and self.until and self.since > self.until:
            raise ReviewError(f"time filter is empty: since {self.since} is after until {self.until}")


def _query() -> Select[Any]:
    h, t, d, f, fl = schema.hits, schema.tiles, schema.detections, schema.frames, schema.flights
    return select(
        h,
        t.c.x.label("tile_x"),
        t.c.y.label("tile_y"),
        t.c.w.label("tile_w"),
        t.c.h.label("tile_h"),
        t.c.state.label("tile_state"),
        d.c.x1,
        d.c.y1,
        d.c.x2,
        d.c.y2,
        d.c.score.label("detection_score"),
        f.c.id.label("frame_id"),
        f.c.path.label("frame_path"),
        f.c.content_hash.label("frame_hash"),
        f.c.width.label("frame_width"),
        f.c.height.label("frame_height"),
        f.c.captured_at,
        f.c.captured_local,
        fl.c.id.label("flight_id"),
        fl.c.name.label("flight_name"),
    ).select_from(
        h.join(t, h.c.tile_id == t.c.id)
        .join(f, t.c.frame_id == f.c.id)
        .join(fl, f.c.flight_id == fl.c.id)
        .outerjoin(d, h.c.detection_id == d.c.id)
    )


def _hit(row: RowMapping) -> Hit:
    box = None
    if row["x1"] is not None:
        box = (float(row["x1"]), float(row["y1"]), float(row["x2"]), float(row["y2"]))
    created = stored_utc(row["created_at"])
    assert created is not None
    return Hit(
        id=int(row["id"]),
        status=row["status"],
        source=row["source"],
        confidence=float(row["confidence"]),
        x=float(row["x"]),
        y=float(row["y"]),
        lon=row["lon"],
        lat=row["lat"],
        error_radius_m=row["error_radius_m"],
        note=row["note"] or "",
        created_at=created,
        decided_at=stored_utc(row["decided_at"]),
        tile_id=int(row["tile_id"]),
        tile=(int(row["tile_x"]), int(row["tile_y"]), int(row["tile_w"]), int(row["tile_h"])),
        tile_state=row["tile_state"],
        detection_id=row["detection_id"],
        box=box,
        detection_score=row["detection_score"],
        frame_id=int(row["frame_id"]),
        frame_path=row["frame_path"],
        frame_size=(row["frame_width"], row["frame_height"]),
        captured_at=stored_utc(row["captured_at"]),
        flight_id=int(row["flight_id"]),
        flight_name=row["flight_name"],
        captured_local=row["captured_local"],
    )


def _where(query: Select[Any], filt: HitFilter) -> Select[Any]:
    h, f = schema.hits, schema.frames
    if filt.ids:
        query = query.where(h.c.id.in_(filt.ids))
    if filt.statuses:
        query = query.where(h.c.status.in_(filt.statuses))
    if filt.sources:
        query = query.where(h.c.source.in_(filt.sources))
    if filt.flights:
        query = query.where(flight_is(filt.flights))
    if filt.min_score is not None:
        query = query.where(h.c.confidence >= filt.min_score)
    if filt.max_score is not None:
        query = query.where(h.c.confidence <= filt.max_score)
    seen = func.coalesce(f.c.captured_at, f.c.captured_local)  # a camera clock is taken as written
    if filt.since is not None:
        query = query.where(or_(seen >= filt.since, and_(seen.is_(None), h.c.created_at >= filt.since)))
    if filt.until is not None:
        query = query.where(or_(seen <= filt.until, and_(seen.is_(None), h.c.created_at <= filt.until)))
    return query


def list_hits(
    store: Store, filt: HitFilter | None = None, *, limit: int | None = None, conn: Connection | None = None
) -> list[Hit]:
    """Hits matching ``filt``, best first (highest confidence, then oldest)."""
    query = _where(_query(), filt or HitFilter()).order_by(schema.hits.c.confidence.desc(), schema.hits.c.id)
    if limit is not None:
        query = query.limit(limit)
    if conn is not None:
        rows = list(conn.execute(query).mappings())
    else:
        with store.connect() as own:
            rows = list(own.execute(query).mappings())
    photos: dict[str, str] = {}  # one look on disk per frame, however many hits it holds
    for r in rows:
        if r["frame_path"] not in photos:
            photos[r["frame_path"]] = str(photo_to_read(store, r["frame_path"], r["frame_hash"]))
    return [replace(_hit(r), pixels_path=photos[r["frame_path"]]) for r in rows]


def _missing(store: Store, hit_id: int) -> ReviewError:
    return ReviewError(f"hit {hit_id}: no such hit in {store.location}; `sartriage hits list` shows them")


def get_hit(store: Store, hit_id: int, *, conn: Connection | None = None) -> Hit:
    found = list_hits(store, HitFilter(ids=(hit_id,)), conn=conn)
    if not found:
        raise _missing(store, hit_id)
    return found[0]


def _stamp(text: str, when: datetime) -> str:
    return f"[{when.strftime('%Y-%m-%d %H:%MZ')}] {text.strip()}"


def _joined(old: str, line: str) -> str:
    return f"{old}\n{line}" if old else line


def best_detection(conn: Connection, tile: Any, *, persons_only: bool = False) -> Any:
    """The tile's highest-scoring detection centred inside it (where a hit on it is placed; a clue counts
    unless ``persons_only``: the model often calls a person from above a kite), or None. ``tile`` has
    ``frame_id``, ``x``, ``y``, ``w`` and ``h``."""
    d = schema.detections
    cx, cy = (d.c.x1 + d.c.x2) / 2, (d.c.y1 + d.c.y2) / 2
    query = (
        select(d.c.id, d.c.x1, d.c.y1, d.c.x2, d.c.y2, d.c.score, d.c.lon, d.c.lat, d.c.error_radius_m)
        .where(d.c.frame_id == tile.frame_id, cx >= tile.x, cx < tile.x + tile.w, cy >= tile.y)
        .where(cy < tile.y + tile.h)
        .order_by(d.c.score.desc())
        .limit(1)
    )
    if persons_only:
        query = query.where(d.c.clue.is_(False))
    return conn.execute(query).first()


def move_status(conn: Connection, hit_id: int, status: str, now: datetime, note: str | None = None) -> str:
    """The one place a hit's status changes (and a note is added): refuses what ``TRANSITIONS`` does not
    allow. Returns the status it had; raises ReviewError when the hit is missing or the move not allowed."""
    allowed = TRANSITIONS[status]
    h = schema.hits
    current = conn.execute(select(h.c.status, h.c.note).where(h.c.id == hit_id)).first()
    if current is None:
        raise ReviewError(f"hit {hit_id}: no such hit; `sartriage hits list` shows them")
    if current.status == status and not note:
        return str(current.status)
    if current.status != status and current.status not in allowed:
        raise ReviewError(
            f"hit {hit_id} is {current.status.replace('_', ' ')}: cannot {ACTION_NAMES[status]} "
            f"(only a hit that is {' or '.join(s.replace('_', ' ') for s in allowed)} can be)"
        )
    values: dict[str, Any] = {"status": status}
    if current.status != status:
        values["decided_at"] = None if status == "candidate" else now
    if note and note.strip():
        values["note"] = _joined(current.note or "", _stamp(note, now))
    # the status is re-checked in the UPDATE: another coordinator may have moved it meanwhile
    done = conn.execute(update(h).where(h.c.id == hit_id, h.c.status == current.status).values(**values))
    if done.rowcount != 1:
        raise ReviewError(f"hit {hit_id} was changed by someone else just now; list it again and retry")
    if current.status != status:
        log.info("hit %d: %s -> %s", hit_id, current.status, status)
    return str(current.status)


def _move(store: Store, hit_id: int, status: str, note: str | None) -> Hit:
    with store.begin() as conn:
        if conn.execute(select(schema.hits.c.id).where(schema.hits.c.id == hit_id)).first() is None:
            raise _missing(store, hit_id)
        move_status(conn, hit_id, status, utcnow(), note)
        return get_hit(store, hit_id, conn=conn)


def confirm(store: Store, hit_id: int, note: str | None = None) -> Hit:
    """The coordinator agrees it is a person: send it to ground teams."""
    return _move(store, hit_id, "confirmed", note)


def reject(store: Store, hit_id: int, note: str | None = None) -> Hit:
    """Not a person (or not the one sought)."""
    return _move(store, hit_id, "rejected", note)


def mark_found(store: Store, hit_id: int, note: str | None = None) -> Hit:
    """A ground team reached the place and found the person."""
    return _move(store, hit_id, "found", note)


def mark_not_found(store: Store, hit_id: int, note: str | None = None) -> Hit:
    """A ground team reached the place and found nobody."""
    return _move(store, hit_id, "not_found", note)


def reopen(store: Store, hit_id: int, note: str | None = None) -> Hit:
    """Undo a decision: the hit is a candidate again."""
    return _move(store, hit_id, "candidate", note)


def add_note(store: Store, hit_id: int, text: str) -> Hit:
    """Append a timestamped line to the hit's note (earlier lines are kept)."""
    if not text.strip():
        raise ReviewError(f"hit {hit_id}: the note is empty; give the text to add")
    h = schema.hits
    now = utcnow()
    with store.begin() as conn:
        old = conn.execute(select(h.c.note).where(h.c.id == hit_id)).first()
        if old is None:
            raise ReviewError(
                f"hit {hit_id}: no such hit in {store.location}; `sartriage hits list` shows them"
            )
        conn.execute(
            update(h).where(h.c.id == hit_id).values(note=_joined(old.note or "", _stamp(text, now)))
        )
        return get_hit(store, hit_id, conn=conn)


def restore(store: Store, hit_id: int, status: str) -> Hit:
    """Undo the last decision on a hit: back to the ``status`` it had (the transitions still apply)."""
    return _move(store, hit_id, status, "decision undone")


ACTIONS = {
    "confirm": confirm,
    "reject": reject,
    "found": mark_found,
    "not-found": mark_not_found,
    "reopen": reopen,
}


def apply(store: Store, action: str, hit_ids: Iterable[int], note: str | None = None) -> list[Hit]:
    """Apply one action to several hits (one transaction each); stops at the first refused hit."""
    run = ACTIONS[action]
    return [run(store, hit_id, note) for hit_id in hit_ids]


def counts(store: Store) -> dict[str, int]:
    """How many hits are in each status (every status listed, zero included)."""
    h = schema.hits
    with store.connect() as conn:
        rows = conn.execute(select(h.c.status, func.count()).group_by(h.c.status)).all()
    found = {status: int(n) for status, n in rows}
    return {status: found.get(status, 0) for status in HIT_STATES}


__all__: Sequence[str] = [
    "ACTIONS",
    "HIT_STATES",
    "Hit",
    "HitFilter",
    "add_note",
    "apply",
    "confirm",
    "counts",
    "get_hit",
    "list_hits",
    "mark_found",
    "mark_not_found",
    "reject",
    "reopen",
]


@dataclass(frozen=True)
class DetectorCandidate:
    """A person the scan flagged: the detection's centre in frame pixels, its ground position and score."""

    tile_id: int
    detection_id: int
    x: float
    y: float
    lon: float | None
    lat: float | None
    error_radius_m: float | None
    confidence: float


def add_detector_candidates(
    conn: Connection, found: Sequence[DetectorCandidate], now: datetime, *, if_new: bool = False
) -> int:
    """The detector's candidates for the coordinator, one per person the triage flagged; ``if_new`` skips a
    tile's candidate that exists already (re-triage), else they are written at once (a new frame)."""
    rows = [
        {**asdict(c), "source": "detector", "status": "candidate", "note": "", "created_at": now}
        for c in found
    ]
    if if_new:
        return sum(insert_if_new(conn, schema.hits, **row) for row in rows)
    if rows:
        conn.execute(insert(schema.hits), rows)
    return len(rows)


def volunteers_candidate(
    conn: Connection,
    tile_id: int,
    posterior: float,
    now: datetime,
    status: str = "candidate",
) -> bool:
    """The volunteers' hit on a tile, its confidence their P(person); notes are the coordinator's alone
    (the answers behind a hit are counted where it is shown and exported)."""
    tile = conn.execute(select(schema.tiles).where(schema.tiles.c.id == tile_id)).one()
    spot = best_detection(conn, tile)
    inserted = insert_if_new(
        conn,
        schema.hits,
        tile_id=tile_id,
        source="volunteers",
        status=status,
        detection_id=spot.id if spot else None,
        x=float((spot.x1 + spot.x2) / 2) if spot else tile.x + tile.w / 2,
        y=float((spot.y1 + spot.y2) / 2) if spot else tile.y + tile.h / 2,
        lon=spot.lon if spot else None,
        lat=spot.lat if spot else None,
        error_radius_m=spot.error_radius_m if spot else None,
        confidence=float(posterior),
        note="",
        created_at=now,
        decided_at=None if status == "candidate" else now,
    )
    if not inserted:  # a candidate not decided yet shows the latest state of its answers
        hits_table = schema.hits
        conn.execute(
            update(hits_table)
            .where(
                hits_table.c.tile_id == tile_id,
                hits_table.c.source == "volunteers",
                hits_table.c.status == "candidate",
            )
            .values(confidence=float(posterior))
        )
    if inserted or status == "candidate":
        return inserted
    # the volunteers' hit exists: only a candidate moves; a later decision on it (confirmed, found,
    # rejected, not found) stands, and `escalations()` names any conflict
    hit = conn.execute(
        select(schema.hits.c.id, schema.hits.c.status).where(
            schema.hits.c.tile_id == tile_id, schema.hits.c.source == "volunteers"
        )
    ).one()
    if hit.status == "candidate":
        move_status(conn, hit.id, status, now)
    return True


def mark_person(store: Store, frame_id: int, box: tuple[float, float, float, float], note: str = "") -> Hit:
    """A person the coordinator saw that the detector and volunteers missed: a confirmed hit at the centre
    of ``box`` (x1, y1, x2, y2 in frame pixels), placed on the ground by the georeferencing the scan
    stored, like any other, with the box kept as a detection of model ``coordinator`` (training data).

    A frame without georeferencing (or scanned before the store kept it, its photo gone) still gets the
    hit, without a position."""
    x1, y1, x2, y2 = (float(v) for v in box)
    x1, x2 = sorted((x1, x2))
    y1, y2 = sorted((y1, y2))
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    f, h = schema.frames, schema.hits
    with store.connect() as conn:
        frame = conn.execute(
            select(f.c.path, f.c.width, f.c.height, f.c.georef).where(f.c.id == frame_id)
        ).first()
    if frame is None:
        raise ReviewError(f"frame {frame_id}: no such frame in this mission")
    if not (0 <= cx < (frame.width or 0) and 0 <= cy < (frame.height or 0)):
        raise ReviewError(f"({cx:.0f}, {cy:.0f}) lies outside the frame ({frame.width}x{frame.height} px)")
    lon, lat, radius = _ground(PurePath(frame.path), frame.georef, cx, cy)
    now = utcnow()
    with store.begin() as conn:
        tile = _tile_for_mark(conn, frame_id, cx, cy)
        detection = conn.execute(
            insert(schema.detections)
            .values(
                frame_id=frame_id, tile_id=tile, x1=x1, y1=y1, x2=x2, y2=y2, score=1.0, class_id=0,
                clue=False, model="coordinator", lon=lon, lat=lat, error_radius_m=radius,
            )
            .returning(schema.detections.c.id)
        ).scalar_one()  # fmt: skip
        hit_id = conn.execute(
            insert(h)
            .values(
                tile_id=tile, detection_id=detection, source="coordinator", status="confirmed", x=cx, y=cy,
                lon=lon, lat=lat, error_radius_m=radius, confidence=1.0,
                note=_stamp(note, now) if note.strip() else "", created_at=now, decided_at=now,
            )
            .returning(h.c.id)
        ).scalar_one()  # fmt: skip
        log.info("hit %d: a person the coordinator marked on frame %d", hit_id, frame_id)
        return get_hit(store, int(hit_id), conn=conn)


def frame_named(store: Store, frame: str | int) -> int:
    """The id of the frame a user names by id or file name; one clear error when none or several match."""
    f = schema.frames
    text = str(frame)
    with store.connect() as conn:
        if text.isdigit() and conn.execute(select(f.c.id).where(f.c.id == int(text))).first():
            return int(text)
        matches = [
            row.id
            for row in conn.execute(select(f.c.id, f.c.path).where(f.c.path.like(f"%{text}")))
            if PurePath(row.path).name == text
        ]
    if len(matches) == 1:
        return int(matches[0])
    if not matches:
        raise ReviewError(f"no frame {text!r} in this mission; give its file name or id (`sartriage status`)")
    raise ReviewError(f"{len(matches)} frames are named {text!r} (in several flights): give the frame id")


def _tile_for_mark(conn: Connection, frame_id: int, x: float, y: float) -> int:
    """The frame's tile holding (x, y) nearest its centre. A point inside a box the coordinator already
    marked on this frame is that person again: refused, so one person is not sent out twice."""
    t, h, d = schema.tiles, schema.hits, schema.detections
    tiles = conn.execute(
        select(t.c.id, t.c.x, t.c.y, t.c.w, t.c.h).where(
            t.c.frame_id == frame_id, t.c.x <= x, x < t.c.x + t.c.w, t.c.y <= y, y < t.c.y + t.c.h
        )
    ).all()
    if not tiles:
        raise ReviewError(
            f"cannot mark a person at ({x:.0f}, {y:.0f}): no tile of this frame holds that point"
        )
    again = conn.execute(
        select(h.c.id)
        .select_from(h.join(d, h.c.detection_id == d.c.id))
        .where(
            h.c.source == "coordinator", d.c.frame_id == frame_id,
            d.c.x1 <= x, x <= d.c.x2, d.c.y1 <= y, y <= d.c.y2,
        )
        .limit(1)
    ).scalar()  # fmt: skip
    if again is not None:
        raise ReviewError(
            f"a person is already marked at ({x:.0f}, {y:.0f}) (hit {again}); add a note to that hit instead"
        )
    nearest = min(tiles, key=lambda r: (x - (r.x + r.w / 2)) ** 2 + (y - (r.y + r.h / 2)) ** 2)
    return int(nearest.id)


def _ground(
    path: PurePath, record: dict[str, Any] | None, x: float, y: float
) -> tuple[float | None, float | None, float | None]:
    """lon, lat and error radius of a frame pixel from the frame's stored georeferencing ``record``
    (None when unknown)."""
    from sartriage.frames import ground_of_pixels  # the core hit list never needs the frame reader

    try:
        lon, lat, radius = ground_of_pixels(Path(path), np.array([x]), np.array([y]), record)
    except SartriageError as exc:
        log.warning("a marked person on %s has no ground position: %s", path.name, exc)
        return None, None, None
    values = (float(lon[0]), float(lat[0]), float(radius[0]))
    if not all(np.isfinite(values[:2])):
        return None, None, None
    return values[0], values[1], values[2] if np.isfinite(values[2]) else None
