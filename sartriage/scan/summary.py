"""What a mission holds, per flight: frames by status, tiles by triage state, detections, hits, review."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, func, select

from sartriage.store import Store, schema
from sartriage.store.schema import FRAME_STATES, TILE_STATES


@dataclass(frozen=True)
class FlightSummary:
    flight_id: int
    name: str
    folder: str
    frames: dict[str, int]  # every frame status -> count
    tiles: dict[str, int]  # every triage state -> count
    quality_checks: int  # cleared-by-score tiles sent to review to measure misses
    detections: int  # persons
    clues: int  # detections of the card's clue classes
    hits: dict[str, int]  # hit status -> count (only statuses present)
    review: dict[str, int] = field(
        default_factory=dict
    )  # review queue state -> count (empty: not queued yet)
    failures: tuple[tuple[str, str], ...] = ()  # (path, reason) of failed frames
    imagery: dict[str, int] = field(default_factory=dict)  # kind of imagery -> frames done
    triage_notes: tuple[tuple[str, int], ...] = ()  # (why tiles were not triaged by score, frames)
    answers: int = 0  # volunteer answers on the flight's queued tiles
    unplaced: int = 0  # done frames with no ground position at all (no GPS)
    gps_only: int = 0  # done frames placed only at their GPS fix (no attitude or height: no footprint)

    @property
    def frames_done(self) -> int:
        return self.frames["done"]

    @property
    def frames_failed(self) -> int:
        return self.frames["failed"]

    @property
    def frames_pending(self) -> int:
        """Not finished yet: waiting, or being read by a worker now."""
        return self.frames["pending"] + self.frames["claimed"]

    def to_json(self) -> dict[str, Any]:
        """The stable keys scripts read (``sartriage status --json``)."""
        return {
            "flight_id": self.flight_id,
            "flight": self.name,
            "folder": self.folder,
            "frames_done": self.frames_done,
            "frames_failed": self.frames_failed,
            "frames_pending": self.frames_pending,
            "frames_claimed": self.frames["claimed"],
            "tiles": dict(self.tiles),
            "quality_checks": self.quality_checks,
            "detections": self.detections,
            "clues": self.clues,
            "hits": dict(self.hits),
            "review": dict(self.review),
            "failures": [{"path": p, "error": e} for p, e in self.failures],
            "imagery": dict(self.imagery),
            "triage_notes": [{"note": n, "frames": k} for n, k in self.triage_notes],
            "review_answers": self.answers,
            "frames_unplaced": self.unplaced,
            "frames_gps_only": self.gps_only,
        }


def _grouped(conn: Connection, key: Any, column: Any, source: Any, *where: Any) -> dict[int, dict[str, int]]:
    """Row counts per (``key``, ``column``) value as {key: {column value: count}}."""
    rows = conn.execute(
        select(key, column, func.count()).select_from(source).where(*where).group_by(key, column)
    )
    out: dict[int, dict[str, int]] = {}
    for key_value, value, n in rows:
        out.setdefault(int(key_value), {})[str(value)] = int(n)
    return out


def summarise(store: Store, flight_ids: list[int] | None = None, failures: int = 20) -> list[FlightSummary]:
    """One summary per flight of the mission (or of ``flight_ids``), in the order flights were added.

    ``failures``: how many failed frames (path and reason) to list per flight.
    """
    fl, fr, ti, de, hi = schema.flights, schema.frames, schema.tiles, schema.detections, schema.hits
    frame_tiles = ti.join(fr, ti.c.frame_id == fr.c.id)
    with store.connect() as conn:
        query = select(fl.c.id, fl.c.name, fl.c.folder).order_by(fl.c.id)
        if flight_ids is not None:
            query = query.where(fl.c.id.in_(flight_ids))
        flights = conn.execute(query).all()
        if not flights:
            return []
        frames = _grouped(conn, fr.c.flight_id, fr.c.status, fr)
        tiles = _grouped(conn, fr.c.flight_id, ti.c.state, frame_tiles)
        quality = _grouped(
            conn, fr.c.flight_id, ti.c.quality_check, frame_tiles, ti.c.quality_check.is_(True)
        )
        hit_tiles = hi.join(ti, hi.c.tile_id == ti.c.id).join(fr, ti.c.frame_id == fr.c.id)
        hits = _grouped(conn, fr.c.flight_id, hi.c.status, hit_tiles)
        dets = _grouped(conn, fr.c.flight_id, de.c.clue, de.join(fr, de.c.frame_id == fr.c.id))
        review = _review_progress(conn)
        imagery = _grouped(conn, fr.c.flight_id, fr.c.imagery, fr, fr.c.imagery.is_not(None))
        notes = _grouped(conn, fr.c.flight_id, fr.c.triage_note, fr, fr.c.triage_note.is_not(None))
        placement = _placement(conn)
        rt = schema.review_tiles
        answers = dict(
            conn.execute(select(rt.c.flight_id, func.sum(rt.c.answers)).group_by(rt.c.flight_id)).all()
        )
        out = []
        for flight_id, name, folder in flights:
            failed = conn.execute(
                select(fr.c.path, fr.c.error)
                .where(fr.c.flight_id == flight_id, fr.c.status == "failed")
                .order_by(fr.c.id)
                .limit(failures)
            ).all()
            out.append(
                FlightSummary(
                    flight_id=flight_id,
                    name=name,
                    folder=folder,
                    frames={s: frames.get(flight_id, {}).get(s, 0) for s in FRAME_STATES},
                    tiles={s: tiles.get(flight_id, {}).get(s, 0) for s in TILE_STATES},
                    quality_checks=sum(quality.get(flight_id, {}).values()),
                    detections=dets.get(flight_id, {}).get("False", 0),
                    clues=dets.get(flight_id, {}).get("True", 0),
                    hits=hits.get(flight_id, {}),
                    review=review.get(flight_id, {}),
                    failures=tuple((str(p), str(e or "")) for p, e in failed),
                    imagery=imagery.get(flight_id, {}),
                    triage_notes=tuple(sorted(notes.get(flight_id, {}).items())),
                    answers=int(answers.get(flight_id) or 0),
                    unplaced=placement[flight_id]["unplaced"],
                    gps_only=placement[flight_id]["gps_only"],
                )
            )
    return out


def _placement(conn: Connection) -> defaultdict[int, Counter[str]]:
    """Per flight, done frames that cannot be placed on the ground (no GPS), or only at their GPS fix."""
    fr = schema.frames
    out: defaultdict[int, Counter[str]] = defaultdict(Counter)
    rows = conn.execute(select(fr.c.flight_id, fr.c.lon, fr.c.footprint).where(fr.c.status == "done"))
    for flight_id, lon, footprint in rows:
        if lon is None:
            out[flight_id]["unplaced"] += 1
        elif len({(round(x, 9), round(y, 9)) for x, y in footprint or ()}) < 3:
            out[flight_id]["gps_only"] += 1
    return out


def _review_progress(conn: Connection) -> dict[int, dict[str, int]]:
    """The review queue per flight by state: open, done, escalated, decided."""
    return _grouped(conn, schema.review_tiles.c.flight_id, schema.review_tiles.c.state, schema.review_tiles)
