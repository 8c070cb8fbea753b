"""GeoJSON (RFC 7946): WGS84 lon/lat, counter-clockwise exterior rings, no ``crs`` member."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from sartriage.coords import circle
from sartriage.export.files import Written, write_text
from sartriage.export.records import HitRecord, placed

log = logging.getLogger(__name__)

DECIMALS = 7  # about a centimetre; RFC 7946 asks for no more precision than is real


def point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [round(lon, DECIMALS), round(lat, DECIMALS)]}


def polygon(rings: Sequence[Sequence[tuple[float, float]]]) -> dict[str, Any]:
    return {
        "type": "Polygon",
        "coordinates": [[[round(x, DECIMALS), round(y, DECIMALS)] for x, y in ring] for ring in rings],
    }


def feature(
    geometry: dict[str, Any] | None, properties: dict[str, Any], fid: int | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "Feature", "geometry": geometry, "properties": properties}
    if fid is not None:
        out["id"] = fid
    return out


def collection(features: Iterable[dict[str, Any]], name: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "FeatureCollection"}
    if name:
        out["name"] = name  # a foreign member GDAL and QGIS show as the layer name
    out["features"] = list(features)
    return out


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def hit_features(
    records: Sequence[HitRecord], *, circles: bool = False
) -> tuple[list[dict[str, Any]], list[str]]:
    features = []
    located, skipped = placed(records)
    for record, lon, lat in located:
        g = record.group
        props = record.properties()
        if circles and g.error_radius_m is not None:
            geometry = polygon([circle(lon, lat, g.error_radius_m)])
        else:
            geometry = point(lon, lat)
        features.append(feature(geometry, props, g.id))
    return features, skipped


def write_geojson(
    records: Sequence[HitRecord], path: Path, *, title: str = "hits", circles: bool = False
) -> Written:
    """Hit points (or, with ``circles``, their error circles as polygons) with every attribute."""
    features, skipped = hit_features(records, circles=circles)
    for line in skipped:
        log.warning("GeoJSON %s", line)
    write_text(path, dumps(collection(features, title)))
    return Written(Path(path), len(features), tuple(skipped))
