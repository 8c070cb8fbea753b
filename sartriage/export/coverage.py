"""What was searched: frame footprints, tiles by triage outcome, and hits, on the ground.

Tile outlines come from each frame's georeferencing as the scan stored it
(``frames.stored_georef`` → ``georef.pixel_to_ground`` of the tile corners), so
they follow the camera model, not a rectangle, with the photo folder gone. A
frame scanned before the store kept that (schema 3) is opened again; when it
cannot be any more, it keeps its stored footprint, its tiles are left off the
map and the reason is listed in ``notes``.

Tiles fall in three classes, drawn in this order so the most telling is on top
where frames overlap: ``cleared`` (the detector was sure it is empty),
``reviewed`` (sent to volunteers: every ``review`` tile and every random
quality-check tile) and ``flagged`` (the detector was sure of a person).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

import numpy as np
import shapely
from shapely.geometry import Polygon
from sqlalchemy import func, select

from sartriage.coords import UtmProjection
from sartriage.errors import SartriageError
from sartriage.export.files import Written, prepare, write_text
from sartriage.export.geojson import collection, dumps, feature, hit_features
from sartriage.export.geojson import polygon as geojson_polygon
from sartriage.export.records import HitRecord
from sartriage.frames import stored_georef
from sartriage.store import Store, schema
from sartriage.store.queries import flight_is

log = logging.getLogger(__name__)

CLASSES = ("cleared", "reviewed", "flagged")


@dataclass(frozen=True)
class FrameArea:
    frame_id: int
    name: str
    flight: str
    footprint: Polygon | None  # lon/lat


@dataclass(frozen=True)
class TileArea:
    tile_id: int
    frame_name: str
    cls: str  # one of CLASSES
    state: str  # the triage state as stored
    score: float
    quality_check: bool
    answers: int  # volunteer answers on it
    outline: Polygon  # lon/lat


@dataclass(frozen=True)
class Coverage:
    frames: tuple[FrameArea, ...]
    tiles: tuple[TileArea, ...]
    hits: tuple[HitRecord, ...]
    notes: tuple[str, ...]  # frames whose tiles could not be placed, and why

    def projection(self) -> UtmProjection:
        points = [p.centroid for p in (f.footprint for f in self.frames) if p is not None]
        points += [shapely.Point(h.lon, h.lat) for h in self.hits if h.lon is not None and h.lat is not None]
        if not points:
            raise SartriageError("nothing in this mission is georeferenced, so there is no map to draw")
        return UtmProjection.around(
            float(np.median([p.x for p in points])), float(np.median([p.y for p in points]))
        )

    def area_m2(self, classes: Sequence[str] = CLASSES) -> float:
        """Ground area (m²) under the union of the tiles of these classes (overlaps counted once)."""
        return _area([t.outline for t in self.tiles if t.cls in classes], self.projection())

    def frames_area_m2(self) -> float:
        return _area([f.footprint for f in self.frames if f.footprint is not None], self.projection())


def _area(polygons: Sequence[Polygon], proj: UtmProjection) -> float:
    if not polygons:
        return 0.0
    metric = [to_metric(p, proj) for p in polygons]
    return float(shapely.union_all(metric).area)


def to_metric(polygon: Polygon, proj: UtmProjection) -> Polygon:
    """The polygon in the projection's metres."""
    return shapely.transform(polygon, lambda xy: np.column_stack(proj.forward(xy[:, 0], xy[:, 1])))


def tile_class(state: str, quality_check: bool) -> str:
    if state == "flagged":
        return "flagged"
    return "reviewed" if state == "review" or quality_check else "cleared"


def _tile_outlines(path: Path, record: dict[str, Any] | None, windows: np.ndarray) -> list[Polygon | None]:
    """Ground outlines of (x, y, w, h) windows of one frame, from its stored georeferencing ``record``
    (the file only for stores older than it); None where a corner has no ground."""
    x, y, w, h = (windows[:, i].astype(np.float64) for i in range(4))
    # corners clockwise from top-left plus edge midpoints, so a tilted camera's outline stays true
    xs = np.stack([x, x + w / 2, x + w, x + w, x + w, x + w / 2, x, x], axis=1)
    ys = np.stack([y, y, y, y + h / 2, y + h, y + h, y + h, y + h / 2], axis=1)
    georef = stored_georef(path, record)
    if not georef:
        raise SartriageError(f"{path.name}: not georeferenced")
    if georef.kind == "position_only":
        raise SartriageError("only a GPS position, no camera attitude or height: no ground outline")
    lon, lat, _ = georef.pixel_to_ground(xs.ravel(), ys.ravel())
    lon, lat = lon.reshape(xs.shape), lat.reshape(xs.shape)
    out: list[Polygon | None] = []
    for i in range(len(windows)):
        ok = np.isfinite(lon[i]).all() and np.isfinite(lat[i]).all()
        out.append(valid_polygon(np.column_stack([lon[i], lat[i]])) if ok else None)
    return out


def valid_polygon(points: Any) -> Polygon | None:
    """A valid lon/lat polygon with area through ``points``, or None (all points at one GPS fix, or a
    tilted camera's outline folding over the horizon): only valid polygons are written."""
    if points is None or len(points) < 3:
        return None
    polygon = Polygon(points)
    if not polygon.is_valid or polygon.area <= 0:
        return None
    return shapely.orient_polygons(polygon)


def load_coverage(store: Store, hits: Sequence[HitRecord] = (), flights: Sequence[str] = ()) -> Coverage:
    """Frames (done ones), their tiles with ground outlines, and the given hits."""
    f, t, fl, a = schema.frames, schema.tiles, schema.flights, schema.answers
    frame_query = select(f.c.id, f.c.path, f.c.footprint, f.c.georef, fl.c.name).join(
        fl, f.c.flight_id == fl.c.id
    )
    frame_query = frame_query.where(f.c.status == "done").order_by(f.c.id)
    if flights:
        frame_query = frame_query.where(flight_is(flights))
    with store.connect() as conn:
        frame_rows = conn.execute(frame_query).all()
        tile_rows = conn.execute(
            select(t.c.id, t.c.frame_id, t.c.x, t.c.y, t.c.w, t.c.h, t.c.state, t.c.score, t.c.quality_check)
            .where(t.c.frame_id.in_([r.id for r in frame_rows]))
            .order_by(t.c.frame_id, t.c.id)
        ).all()
        answered: dict[int, int] = dict(
            conn.execute(
                select(a.c.tile_id, func.count()).where(a.c.tile_id.is_not(None)).group_by(a.c.tile_id)
            ).all()
        )
    by_frame: dict[int, list[Any]] = {}
    for tile_row in tile_rows:
        by_frame.setdefault(tile_row.frame_id, []).append(tile_row)
    frames: list[FrameArea] = []
    tiles: list[TileArea] = []
    notes: list[str] = []
    for row in frame_rows:
        name = PurePath(row.path).name
        footprint = valid_polygon(row.footprint)
        if row.footprint and footprint is None:
            notes.append(f"{name}: left off the map (its stored footprint has no area: a GPS position only)")
        frames.append(FrameArea(row.id, name, row.name, footprint))
        rows = by_frame.get(row.id, [])
        if not rows:
            continue
        windows = np.array([(r.x, r.y, r.w, r.h) for r in rows])
        try:
            outlines = _tile_outlines(Path(row.path), row.georef, windows)
        except (SartriageError, ValueError) as exc:
            notes.append(f"{name}: tiles not placed ({str(exc).splitlines()[0]})")
            continue
        for r, outline in zip(rows, outlines, strict=True):
            if outline is None:
                continue
            tiles.append(
                TileArea(
                    r.id,
                    name,
                    tile_class(r.state, bool(r.quality_check)),
                    r.state,
                    float(r.score),
                    bool(r.quality_check),
                    int(answered.get(r.id, 0)),
                    outline,
                )
            )
    for note in notes:
        log.debug("coverage: %s", note)
    if notes:
        log.warning(
            "coverage: %d frames could not be placed, their tiles are not on the map (first: %s)",
            len(notes),
            notes[0],
        )
    return Coverage(tuple(frames), tuple(tiles), tuple(hits), tuple(notes))


def layers(coverage: Coverage) -> dict[str, dict[str, Any]]:
    """GeoJSON FeatureCollections by layer name: frames, one per tile class, and hits."""
    out: dict[str, dict[str, Any]] = {}
    out["frames"] = collection(
        (
            feature(_geometry(fr.footprint), {"frame": fr.name, "flight": fr.flight}, fr.frame_id)
            for fr in coverage.frames
            if fr.footprint is not None
        ),
        "frames",
    )
    for cls in CLASSES:
        out[f"tiles-{cls}"] = collection(
            (
                feature(
                    _geometry(tile.outline),
                    {
                        "tile_id": tile.tile_id,
                        "frame": tile.frame_name,
                        "class": tile.cls,
                        "state": tile.state,
                        "score": round(tile.score, 4),
                        "quality_check": tile.quality_check,
                        "answers": tile.answers,
                    },
                    tile.tile_id,
                )
                for tile in coverage.tiles
                if tile.cls == cls
            ),
            f"tiles-{cls}",
        )
    out["hits"] = collection(hit_features(coverage.hits)[0], "hits")
    return out


def _geometry(polygon: Polygon) -> dict[str, Any]:
    oriented = shapely.orient_polygons(polygon)  # exterior counter-clockwise (RFC 7946)
    return geojson_polygon([list(oriented.exterior.coords)])


def write_layers(coverage: Coverage, folder: Path) -> Written:
    """One GeoJSON file per layer in ``folder``: frames, tiles-cleared/-reviewed/-flagged, hits."""
    prepare(Path(folder) / "frames.geojson")
    count = 0
    for name, data in layers(coverage).items():
        write_text(Path(folder) / f"{name}.geojson", dumps(data))
        count += len(data["features"])
    return Written(Path(folder), count, coverage.notes)
