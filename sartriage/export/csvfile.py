"""CSV for spreadsheets and radio operators: lat, lon, MGRS and UTM on every row."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from sartriage.export.files import Written, write_text
from sartriage.export.records import HitRecord

COLUMNS = (
    "name",
    "lat",
    "lon",
    "error_radius_m",
    "mgrs",
    "utm_zone",
    "utm_easting",
    "utm_northing",
    "time",
    "time_zone_known",
    "frame",
    "frames",
    "confidence",
    "status",
    "views",
    "hit_ids",
    "flight",
    "source",
    "volunteers",
    "volunteer_names",
    "note",
)


def to_csv(records: Sequence[HitRecord]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    for record in records:
        row = record.properties()
        writer.writerow({k: "" if row.get(k) is None else row.get(k, "") for k in COLUMNS})
    return buffer.getvalue()


def write_csv(records: Sequence[HitRecord], path: Path) -> Written:
    """Every hit, located or not (a hit without a position has empty coordinates)."""
    # a byte-order mark makes Excel read UTF-8 (degree signs, names) correctly; csv readers skip it
    write_text(path, "\ufeff" + to_csv(records))
    return Written(Path(path), len(records))
