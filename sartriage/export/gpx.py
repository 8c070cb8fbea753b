"""GPX 1.1 waypoints for handheld GPS units and phone apps (gpxpy).

One waypoint per hit (per person when grouped): a short name a Garmin shows
(``H12``), the time the person was first seen, a comment with confidence and
error radius that fits a handheld's screen, and the full description.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import gpxpy.gpx

from sartriage import __version__
from sartriage.export.files import Written, write_text
from sartriage.export.records import HitRecord, placed

log = logging.getLogger(__name__)

SYMBOL = "Flag, Red"  # a symbol Garmin units and most apps know


def to_gpx(records: Sequence[HitRecord], *, title: str) -> tuple[gpxpy.gpx.GPX, list[str]]:
    gpx = gpxpy.gpx.GPX()
    gpx.creator = f"sartriage {__version__}"
    gpx.name = title
    gpx.description = "Drone search hits: error-weighted positions, one waypoint per person"
    located, skipped = placed(records)
    for record, lon, lat in located:
        g = record.group
        radius = f" ±{g.error_radius_m:.0f} m" if g.error_radius_m is not None else ""
        gpx.waypoints.append(
            gpxpy.gpx.GPXWaypoint(
                latitude=round(lat, 7),
                longitude=round(lon, 7),
                time=g.first.captured_at,  # GPX times are UTC: a camera clock of unknown zone is left out
                name=g.name,
                comment=f"{g.status.replace('_', ' ')} {g.confidence:.2f}{radius}",
                description=record.description(),
                symbol=SYMBOL,
                type="sartriage hit",
            )
        )
    times = [w.time for w in gpx.waypoints if w.time]
    gpx.time = min(times) if times else None
    return gpx, skipped


def write_gpx(records: Sequence[HitRecord], path: Path, *, title: str = "sartriage hits") -> Written:
    gpx, skipped = to_gpx(records, title=title)
    for line in skipped:
        log.warning("GPX %s", line)
    write_text(path, gpx.to_xml(version="1.1"))
    return Written(Path(path), len(gpx.waypoints), tuple(skipped))
