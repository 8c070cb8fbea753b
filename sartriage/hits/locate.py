"""Ground positions for the volunteers' candidates that no detection placed.

A candidate from the volunteers sits on the tile's best detection when it has one
(with that detection's lon/lat and error radius). A tile without detections (a
quality-check tile, a person the detector missed) gets its centre, and its position
comes from the frame's georeferencing as the scan stored it (the photo itself only for
frames scanned before the store kept that), outside any transaction.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from pathlib import Path

import numpy as np
from sqlalchemy import select, update

from sartriage.errors import FrameError
from sartriage.frames import ground_of_pixels
from sartriage.store import Store, schema

log = logging.getLogger(__name__)


def locate_volunteer_hits(store: Store, skip: set[int]) -> int:
    """Fill lon/lat/error radius of volunteer candidates without a position; returns how many got one.

    Hits whose frame cannot be read or is not georeferenced are added to ``skip`` and not tried again.
    """
    h, t, f = schema.hits, schema.tiles, schema.frames
    with store.connect() as conn:
        rows = conn.execute(
            select(h.c.id, h.c.x, h.c.y, f.c.id.label("frame_id"), f.c.path, f.c.georef)
            .select_from(h.join(t, t.c.id == h.c.tile_id).join(f, f.c.id == t.c.frame_id))
            .where(h.c.source == "volunteers", h.c.lon.is_(None), h.c.detection_id.is_(None))
        ).all()
    by_frame: dict[int, list] = defaultdict(list)
    for row in rows:
        if row.id not in skip:
            by_frame[row.frame_id].append(row)
    located = 0
    for hits in by_frame.values():
        path = Path(hits[0].path)
        try:
            lon, lat, radius = ground_of_pixels(
                path, np.array([r.x for r in hits]), np.array([r.y for r in hits]), hits[0].georef
            )
        except FrameError as exc:
            log.warning("volunteer candidates on %s stay without a position: %s", path.name, exc)
            skip.update(r.id for r in hits)
            continue
        with store.begin() as conn:
            for row, x, y, r in zip(hits, lon, lat, radius, strict=True):
                if not (np.isfinite(x) and np.isfinite(y)):
                    skip.add(row.id)
                    continue
                conn.execute(
                    update(h)
                    .where(h.c.id == row.id, h.c.lon.is_(None))
                    .values(lon=float(x), lat=float(y), error_radius_m=float(r) if np.isfinite(r) else None)
                )
                located += 1
    return located
