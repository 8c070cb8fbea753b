"""Export the chosen hits through the core's writers; the file type follows the name's suffix."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from sartriage.errors import ExportError
from sartriage.export.csvfile import write_csv
from sartriage.export.files import Written
from sartriage.export.geojson import write_geojson
from sartriage.export.gpx import write_gpx
from sartriage.export.kml import write_kml
from sartriage.export.records import ExportOptions, HitRecord, load_records
from sartriage.hits import HitFilter
from sartriage.store import Store

WRITERS: dict[str, Callable[[Sequence[HitRecord], Path], Written]] = {
    ".gpx": write_gpx,
    ".kml": write_kml,
    ".kmz": write_kml,
    ".geojson": write_geojson,
    ".json": write_geojson,
    ".csv": write_csv,
}
DIALOG_FILTER = ";;".join(
    (
        "GPX waypoints for handheld GPS (*.gpx)",
        "KMZ for Google Earth / CalTopo (*.kmz)",
        "KML with images beside it (*.kml)",
        "GeoJSON for QGIS (*.geojson)",
        "CSV with MGRS/UTM (*.csv)",
    )
)


def with_suffix_from_filter(path: Path, chosen_filter: str) -> Path:
    """The dialog's filter decides the type when the name was typed without a suffix."""
    if path.suffix.lower() in WRITERS:
        return path
    for suffix in WRITERS:
        if f"*{suffix})" in chosen_filter:
            return path.with_suffix(suffix)
    return path.with_suffix(".gpx")


def export_hits(store: Store, hit_ids: Sequence[int] | None, path: Path) -> Written:
    """The chosen hits (None: every confirmed hit), one per person as the core groups them, to ``path``."""
    writer = WRITERS.get(path.suffix.lower())
    if writer is None:
        raise ExportError(f"{path}: unknown export type; name it .gpx, .kml, .kmz, .geojson or .csv")
    if hit_ids is not None and not hit_ids:
        raise ExportError(f"{path}: no hits chosen; select one or more hits in the list first")
    options = ExportOptions() if hit_ids is None else ExportOptions(filter=HitFilter(ids=tuple(hit_ids)))
    return writer(load_records(store, options), path)
