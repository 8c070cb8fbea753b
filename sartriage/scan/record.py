"""What one frame leaves in the store, written in ONE transaction so a killed scan never half-writes it.

A finished frame: its row (size, metadata, position) marked ``done``, one row
per tile with score and triage state, its detections (persons, then clues
marked ``clue``) with ground positions, and for each flagged tile
a ``hits`` candidate at its best person detection. A frame that could not be
read: its row marked ``failed`` with the one-line reason. Both only if this
worker still holds the frame's claim.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import Connection, insert, select, update

from sartriage import hits
from sartriage.detect.detections import FrameDetections
from sartriage.detect.tiling import centred_in
from sartriage.errors import ClaimLost
from sartriage.scan.claims import Claim
from sartriage.scan.parts import drop_parts
from sartriage.scan.triage import FLAGGED, TileTriage, TriageRules
from sartriage.store import Store, schema, utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FrameFacts:
    """What the store keeps about a frame besides its tiles; positions are WGS84 lon/lat."""

    width: int
    height: int
    meta: dict[str, Any]
    captured_at: datetime | None  # aware: the photo says its time zone (an offset tag, or GPS time in UTC)
    lon: float | None
    lat: float | None
    gsd_m: float | None
    footprint: list[list[float]] | None
    georef_note: str | None
    imagery: str = "rgb"
    triage_note: str | None = None  # why the frame's tiles were triaged otherwise than by score
    georef: dict[str, Any] | None = None  # frames.stored record: every later position comes from it
    captured_local: datetime | None = None  # the camera's clock when the photo does not say its time zone


@dataclass(frozen=True)
class Ground:
    """Ground positions (NaN where unknown), parallel to a frame's ``FrameDetections.stored()``."""

    lon: np.ndarray
    lat: np.ndarray
    error_radius_m: np.ndarray

    @classmethod
    def unknown(cls, n: int) -> Ground:
        nan = np.full(n, np.nan)
        return cls(nan, nan.copy(), nan.copy())


def _num(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def _take_claim(conn: Connection, claim: Claim, worker_id: str, **values: Any) -> None:
    """End the claim with the frame's result; the chunks stored while scanning it are no longer needed."""
    frames = schema.frames
    done = conn.execute(
        update(frames)
        .where(frames.c.id == claim.frame_id, frames.c.status == "claimed", frames.c.claimed_by == worker_id)
        .values(processed_at=utcnow(), **values)
    ).rowcount
    if done != 1:
        raise ClaimLost(f"{claim.path}: another worker took this frame over; its result here is dropped")
    drop_parts(conn, claim.frame_id)


def write_failed(conn: Connection, claim: Claim, worker_id: str, reason: str) -> None:
    _take_claim(
        conn, claim, worker_id, status="failed", error=reason.splitlines()[0] if reason else "unreadable"
    )


def write_done(
    conn: Connection,
    claim: Claim,
    worker_id: str,
    facts: FrameFacts,
    found: FrameDetections,
    ground: Ground,
    triage: TileTriage,
    model: str,
) -> None:
    _take_claim(
        conn,
        claim,
        worker_id,
        status="done",
        error=None,
        width=facts.width,
        height=facts.height,
        captured_at=facts.captured_at,
        captured_local=facts.captured_local,
        meta=facts.meta,
        lon=facts.lon,
        lat=facts.lat,
        gsd_m=facts.gsd_m,
        footprint=facts.footprint,
        georef_note=facts.georef_note,
        imagery=facts.imagery,
        triage_note=facts.triage_note,
        georef=facts.georef,
        model=model,
    )
    tile_ids = _write_tiles(conn, claim.frame_id, found, triage)
    detection_ids = _write_detections(conn, claim.frame_id, found, ground, tile_ids, model)
    _write_hits(conn, found, ground, triage, tile_ids, detection_ids)


def _write_tiles(conn: Connection, frame_id: int, found: FrameDetections, triage: TileTriage) -> list[int]:
    if not found.tiles:
        return []
    tiles = schema.tiles
    rows = [
        {
            "frame_id": frame_id,
            "x": t.x,
            "y": t.y,
            "w": t.w,
            "h": t.h,
            "scale": float(t.scale),
            "score": float(found.tile_scores[i]),
            "state": str(triage.states[i]),
            "quality_check": bool(triage.quality_check[i]),
        }
        for i, t in enumerate(found.tiles)
    ]
    result = conn.execute(insert(tiles).returning(tiles.c.id, sort_by_parameter_order=True), rows)
    return [int(r[0]) for r in result]


def _write_detections(
    conn: Connection,
    frame_id: int,
    found: FrameDetections,
    ground: Ground,
    tile_ids: Sequence[int],
    model: str,
) -> list[int]:
    """Writes persons then clues; returns the ids of the persons (a clue never becomes a hit)."""
    dets, det_tiles = found.stored()
    if not len(dets):
        return []
    table = schema.detections
    rows = [
        {
            "frame_id": frame_id,
            "tile_id": tile_ids[int(det_tiles[i])],
            "x1": float(dets.xyxy[i, 0]),
            "y1": float(dets.xyxy[i, 1]),
            "x2": float(dets.xyxy[i, 2]),
            "y2": float(dets.xyxy[i, 3]),
            "score": float(dets.scores[i]),
            "class_id": int(dets.class_ids[i]),
            "clue": i >= len(found.detections),
            "model": model,
            "lon": _num(ground.lon[i]),
            "lat": _num(ground.lat[i]),
            "error_radius_m": _num(ground.error_radius_m[i]),
        }
        for i in range(len(dets))
    ]
    result = conn.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)
    return [int(r[0]) for r in result][: len(found.detections)]


def best_in_tiles(found: FrameDetections) -> np.ndarray:
    """For each tile, the index of the best detection whose centre lies in it (-1 when none)."""
    dets = found.detections
    if not len(dets):
        return np.full(len(found.tiles), -1, dtype=np.int64)
    inside = centred_in(dets.centres, found.tiles)
    best = np.argmax(np.where(inside, dets.scores[None, :], -np.inf), axis=1)
    return np.where(inside.any(axis=1), best, -1).astype(np.int64)


def _write_hits(
    conn: Connection,
    found: FrameDetections,
    ground: Ground,
    triage: TileTriage,
    tile_ids: Sequence[int],
    detection_ids: Sequence[int],
) -> None:
    flagged = np.flatnonzero(triage.states == FLAGGED)
    if not len(flagged):
        return
    best = best_in_tiles(found)
    centres = found.detections.centres
    rows = []
    taken: set[int] = set()
    for j in map(int, flagged):
        i = int(best[j])
        if i < 0:  # a tile is flagged by a detection centred in it, so this does not happen
            log.warning("flagged tile %d has no detection centred in it; no candidate hit made", tile_ids[j])
            continue
        if i in taken:  # a person in the overlap of two flagged tiles is one candidate, not two
            continue
        taken.add(i)
        rows.append(
            hits.DetectorCandidate(
                tile_id=tile_ids[j],
                detection_id=detection_ids[i],
                x=float(centres[i, 0]),
                y=float(centres[i, 1]),
                lon=_num(ground.lon[i]),
                lat=_num(ground.lat[i]),
                error_radius_m=_num(ground.error_radius_m[i]),
                confidence=float(found.detections.scores[i]),
            )
        )
    hits.add_detector_candidates(conn, rows, utcnow())


def write_scan_settings(store: Store, model: str, rules: TriageRules) -> None:
    """Keep the model and thresholds the mission was triaged with, for its report and the app."""
    with store.begin() as conn:
        keep_settings(conn, rules, model)


def keep_settings(conn: Connection, rules: TriageRules, model: str | None = None) -> None:
    """Record the thresholds (and the model, when given) the mission's tiles were last triaged with."""
    m = schema.missions
    row = conn.execute(select(m.c.id, m.c.settings).order_by(m.c.id).limit(1)).one()
    settings = dict(row.settings or {})
    if model is not None:
        settings["model"] = model
    share = rules.quality_share
    settings["thresholds"] = {"review": rules.review, "flag": rules.flag, "quality share": share}
    conn.execute(update(m).where(m.c.id == row.id).values(settings=settings))
