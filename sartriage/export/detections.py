"""Every detection, machine-readable: COCO results (frame pixels), GeoJSON and CSV (with ground positions).

Readers stream rows from the store; writers take an open text stream, so the
caller decides where the bytes go (a file written atomically, stdout).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, TextIO

from sqlalchemy import select

from sartriage.store import Store, schema
from sartriage.store.queries import flight_is

PERSON_CATEGORY_ID = 1


@dataclass(frozen=True)
class DetectionRecord:
    """One stored detection with its frame and flight; ``lon``/``lat`` are None where not georeferenced."""

    id: int
    flight_id: int
    flight: str
    frame_id: int
    frame_path: str
    file_name: str  # path relative to the flight's folder, "/"-separated
    x1: float
    y1: float
    x2: float
    y2: float
    score: float
    class_id: int
    clue: bool  # a clue class of the model's card, not a person
    model: str
    lon: float | None
    lat: float | None
    error_radius_m: float | None
    tile_state: str | None

    @property
    def kind(self) -> str:
        return "clue" if self.clue else "person"

    @property
    def located(self) -> bool:
        return self.lon is not None and self.lat is not None


def _file_name(path: str, folder: str) -> str:
    frame, root = PurePath(path), PurePath(folder)
    try:
        return frame.relative_to(root).as_posix()
    except ValueError:
        return frame.name


def read_detections(
    store: Store, flights: Sequence[str] = (), min_score: float = 0.0, clues: bool = True
) -> Iterator[DetectionRecord]:
    """Detections scoring at least ``min_score``, by frame then best first; ``flights`` are names or ids;
    ``clues=False`` leaves out the card's clue classes (persons only)."""
    de, fr, fl, ti = schema.detections, schema.frames, schema.flights, schema.tiles
    columns = [
        de.c.id,
        fl.c.id.label("flight_id"),
        fl.c.name.label("flight"),
        fl.c.folder.label("folder"),
        fr.c.id.label("frame_id"),
        fr.c.path.label("frame_path"),
        *(de.c[n] for n in ("x1", "y1", "x2", "y2", "score", "class_id", "clue", "model", "lon", "lat")),
        de.c.error_radius_m,
        ti.c.state.label("tile_state"),
    ]
    source = (
        de.join(fr, de.c.frame_id == fr.c.id)
        .join(fl, fr.c.flight_id == fl.c.id)
        .outerjoin(ti, de.c.tile_id == ti.c.id)
    )
    query = (
        select(*columns)
        .select_from(source)
        .where(de.c.score >= min_score)
        .order_by(fr.c.id, de.c.score.desc(), de.c.id)
    )
    if not clues:
        query = query.where(de.c.clue.is_(False))
    if flights:
        query = query.where(flight_is(flights))
    with store.connect() as conn:
        for row in conn.execute(query).mappings().yield_per(1000):
            values = dict(row)
            folder = values.pop("folder")
            yield DetectionRecord(file_name=_file_name(values["frame_path"], folder), **values)


def _r(value: float | None, digits: int) -> float | None:
    return None if value is None else round(float(value), digits)


def write_coco_results(records: Iterable[DetectionRecord], out: TextIO) -> int:
    """A COCO results list of the persons: ``file_name``, ``image_id`` (the frame's id), ``bbox``
    [x, y, w, h] in frame pixels, ``score``, ``category_id`` 1 (person); clues are left out. Returns how
    many were written."""
    items = [
        {
            "file_name": r.file_name,
            "image_id": r.frame_id,
            "bbox": [_r(r.x1, 2), _r(r.y1, 2), _r(r.x2 - r.x1, 2), _r(r.y2 - r.y1, 2)],
            "score": _r(r.score, 5),
            "category_id": PERSON_CATEGORY_ID,
        }
        for r in records
        if not r.clue
    ]
    json.dump(items, out, indent=1)
    out.write("\n")
    return len(items)


def _properties(r: DetectionRecord) -> dict[str, Any]:
    return {
        "detection_id": r.id,
        "flight": r.flight,
        "frame": r.file_name,
        "kind": r.kind,
        "class_id": r.class_id,
        "score": _r(r.score, 5),
        "bbox_xyxy": [_r(r.x1, 2), _r(r.y1, 2), _r(r.x2, 2), _r(r.y2, 2)],
        "error_radius_m": _r(r.error_radius_m, 2),
        "tile_state": r.tile_state,
        "model": r.model,
    }


def write_detections_geojson(records: Iterable[DetectionRecord], out: TextIO) -> tuple[int, int]:
    """An RFC 7946 FeatureCollection of points (lon, lat). Detections without a ground position are left
    out. Returns (written, left out)."""
    features, unlocated = [], 0
    for r in records:
        if not r.located:
            unlocated += 1
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [_r(r.lon, 8), _r(r.lat, 8)]},
                "properties": _properties(r),
            }
        )
    json.dump({"type": "FeatureCollection", "features": features}, out, indent=1)
    out.write("\n")
    return len(features), unlocated


CSV_COLUMNS = (
    "detection_id", "flight", "frame", "kind", "x1", "y1", "x2", "y2", "score", "class_id", "model",
    "lon", "lat", "error_radius_m", "tile_state",
)  # fmt: skip


def write_detections_csv(records: Iterable[DetectionRecord], out: TextIO) -> int:
    """One row per detection; lon/lat/error_radius_m empty where the frame is not georeferenced."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    n = 0
    for r in records:
        writer.writerow(
            [
                r.id, r.flight, r.file_name, r.kind,
                f"{r.x1:.2f}", f"{r.y1:.2f}", f"{r.x2:.2f}", f"{r.y2:.2f}",
                f"{r.score:.5f}", r.class_id, r.model,
                "" if r.lon is None else f"{r.lon:.8f}",
                "" if r.lat is None else f"{r.lat:.8f}",
                "" if r.error_radius_m is None else f"{r.error_radius_m:.2f}",
                r.tile_state or "",
            ]
        )  # fmt: skip
        n += 1
    return n
