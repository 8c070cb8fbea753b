"""Triage the stored tiles again at new thresholds, without running the detector again.

Tile scores and clue scores are kept down to the model's floor, so new thresholds re-sort every done
frame's tiles by the same rule as the scan (`triage_tiles`, the same seeded quality checks, the same
"may not clear" for imagery the model is not fit for). What the coordinator or volunteers already saw
stands: a flagged tile is never taken back (its candidate waits for a decision), and a review tile that
volunteers answered or hold stays in review. A tile that becomes flagged gets a candidate hit at its
best person detection; a tile that becomes review reaches volunteers at the queue's next sync.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import Connection, delete, func, select, update

from sartriage import hits
from sartriage.detect.detector import FLOOR
from sartriage.detect.tiling import Tile
from sartriage.scan.record import keep_settings
from sartriage.scan.triage import CLEARED, FLAGGED, REVIEW, TriageRules, triage_tiles
from sartriage.store import Store, schema, utcnow
from sartriage.store.queries import flight_is, tile_clue_score


@dataclass(frozen=True)
class Retriage:
    """What moved: tile counts per (old state, new state), candidates added, tiles kept as they were."""

    rules: TriageRules
    moved: Counter[tuple[str, str]] = field(default_factory=Counter)
    candidates: int = 0
    kept_answered: int = 0  # review tiles volunteers answered or hold: not cleared
    kept_flagged: int = 0  # flagged tiles whose candidates stand
    frames: int = 0

    @property
    def to_review(self) -> int:
        return self.moved[(CLEARED, REVIEW)]

    @property
    def to_flagged(self) -> int:
        return self.moved[(CLEARED, FLAGGED)] + self.moved[(REVIEW, FLAGGED)]

    @property
    def to_cleared(self) -> int:
        return self.moved[(REVIEW, CLEARED)]

    def describe(self) -> str:
        r = self.rules
        lines = [
            f"re-triaged {self.frames} frames at review {r.review:g}, flag {r.flag:g} (no detector run):",
            f"  {self.to_review} tiles newly sent to review, {self.to_flagged} newly flagged "
            f"({self.candidates} new candidate hits), {self.to_cleared} back to cleared",
        ]
        kept = []
        if self.kept_flagged:
            kept.append(f"{self.kept_flagged} flagged tiles keep their candidates")
        if self.kept_answered:
            kept.append(f"{self.kept_answered} review tiles volunteers answered stay in review")
        if kept:
            lines.append("  kept: " + "; ".join(kept))
        if r.review < FLOOR:
            lines.append(
                f"  note: the scan keeps boxes down to {FLOOR:g} only; tiles scoring under it stay cleared "
                "(scan the photos into a new mission to look lower)"
            )
        return "\n".join(lines)


def retriage(store: Store, rules: TriageRules, flights: Sequence[str | int] = ()) -> Retriage:
    """Re-sort the tiles of every done frame (of ``flights``, by name or id, when given) at ``rules``, in
    one transaction."""
    f = schema.frames
    moved: Counter[tuple[str, str]] = Counter()
    candidates = kept_answered = kept_flagged = 0
    with store.begin() as conn:
        query = select(f.c.id, f.c.content_hash, f.c.triage_note).where(f.c.status == "done")
        if flights:
            query = query.join(schema.flights, schema.flights.c.id == f.c.flight_id).where(flight_is(flights))
        frames = conn.execute(query.order_by(f.c.id)).all()
        answered = _answered_tiles(conn)
        for frame in frames:
            tiles = _frame_tiles(conn, frame.id)
            if not tiles:
                continue
            triage = triage_tiles(
                np.array([t.score for t in tiles]),
                [Tile(t.x, t.y, t.w, t.h) for t in tiles],
                frame.content_hash,
                rules,
                np.array([t.clue for t in tiles]),
                may_clear=frame.triage_note is None,
            )
            for tile, new, quality in zip(tiles, triage.states, triage.quality_check, strict=True):
                old, new = str(tile.state), str(new)
                if old == new and bool(tile.quality_check) == bool(quality):
                    continue
                if old == FLAGGED:
                    kept_flagged += 1
                    continue
                if old == REVIEW and new == CLEARED and tile.id in answered:
                    kept_answered += 1
                    continue
                _move(conn, tile.id, new, bool(quality))
                if old != new:
                    moved[(old, new)] += 1
                if new == FLAGGED:
                    candidates += _candidate(conn, tile)
        keep_settings(conn, rules)
    return Retriage(rules, moved, candidates, kept_answered, kept_flagged, len(frames))


def _frame_tiles(conn: Connection, frame_id: int) -> list[Any]:
    t = schema.tiles
    return list(
        conn.execute(
            select(
                t.c.id, t.c.frame_id, t.c.x, t.c.y, t.c.w, t.c.h, t.c.score, t.c.state, t.c.quality_check,
                func.coalesce(tile_clue_score(), 0.0).label("clue"),
            )
            .where(t.c.frame_id == frame_id)
            .order_by(t.c.id)
        ).all()
    )  # fmt: skip


def _answered_tiles(conn: Connection) -> set[int]:
    """Tiles volunteers have answered or hold now: their review is under way and is not undone."""
    rt = schema.review_tiles
    busy = select(rt.c.tile_id).where((rt.c.answers > 0) | (rt.c.inflight > 0) | (rt.c.state != "open"))
    return set(conn.execute(busy).scalars())


def _move(conn: Connection, tile_id: int, state: str, quality: bool) -> None:
    conn.execute(
        update(schema.tiles).where(schema.tiles.c.id == tile_id).values(state=state, quality_check=quality)
    )
    if state != REVIEW and not quality:  # unanswered and not in flight (checked above): off the queue
        conn.execute(delete(schema.review_tiles).where(schema.review_tiles.c.tile_id == tile_id))


def _candidate(conn: Connection, tile: Any) -> int:
    spot = hits.best_detection(conn, tile, persons_only=True)
    if spot is None:  # a flagged tile always holds the detection that flagged it
        return 0
    found = hits.DetectorCandidate(
        tile_id=tile.id,
        detection_id=spot.id,
        x=float((spot.x1 + spot.x2) / 2),
        y=float((spot.y1 + spot.y2) / 2),
        lon=spot.lon,
        lat=spot.lat,
        error_radius_m=spot.error_radius_m,
        confidence=float(spot.score),
    )
    return hits.add_detector_candidates(conn, [found], utcnow(), if_new=True)


def stored_rules(store: Store) -> TriageRules | None:
    """The thresholds the mission was last triaged with (scan or re-triage), if recorded."""
    m = schema.missions
    with store.connect() as conn:
        row = conn.execute(select(m.c.settings).order_by(m.c.id).limit(1)).first()
    kept = (row.settings or {}).get("thresholds") if row is not None else None
    if not kept:
        return None
    return TriageRules(float(kept["review"]), float(kept["flag"]), float(kept.get("quality share", 0.02)))
