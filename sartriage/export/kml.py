"""KML and KMZ for Google Earth and CalTopo/SARTopo (simplekml).

Two folders: "Hits" with one placemark per person (its tile image in the
balloon) and "Error circles" with each hit's error radius as a polygon. A KMZ
embeds the tile images; a plain KML refers to them in a ``<name>_files``
folder written beside it.
"""

from __future__ import annotations

import html
import logging
import tempfile
from collections.abc import Sequence
from pathlib import Path

import simplekml

from sartriage.coords import circle
from sartriage.errors import SartriageError
from sartriage.export.files import Written, atomic, prepare, write_text
from sartriage.export.images import hit_images, jpeg_bytes
from sartriage.export.records import HitRecord, placed

log = logging.getLogger(__name__)

STATUS_COLOURS = {  # KML colours are aabbggrr
    "found": "ff00b400",
    "confirmed": "ff1e1eff",
    "not_found": "ff808080",
    "candidate": "ff00c8ff",
    "rejected": "ff606060",
}


def _balloon(record: HitRecord, image_href: str | None) -> str:
    parts = [f"<p>{html.escape(record.description())}</p>"]
    props = record.properties()
    if "mgrs" in props:
        parts.append(f"<p>MGRS {html.escape(props['mgrs'])}<br/>{html.escape(props['dms'])}</p>")
    if image_href:
        parts.append(f'<img src="{html.escape(image_href)}" width="320" alt="tile of {record.name}"/>')
    return "".join(parts)


def _images(records: Sequence[HitRecord], folder: Path) -> dict[str, Path]:
    """Write each hit's tile (box drawn) as JPEG in ``folder``; a frame that cannot be read is skipped."""
    out: dict[str, Path] = {}
    folder.mkdir(parents=True, exist_ok=True)
    for record in records:
        if not record.group.located:
            continue
        try:
            tile = hit_images(record.group.lead).tile
        except (SartriageError, ValueError) as exc:
            log.warning("KML: %s: no tile image (%s)", record.name, exc)
            continue
        path = folder / f"{record.name}.jpg"
        path.write_bytes(jpeg_bytes(tile))
        out[record.name] = path
    return out


def to_kml(
    records: Sequence[HitRecord], *, title: str, hrefs: dict[str, str]
) -> tuple[simplekml.Kml, list[str]]:
    kml = simplekml.Kml(name=title)
    points = kml.newfolder(name="Hits")
    circles = kml.newfolder(name="Error circles")
    located, skipped = placed(records)
    for record, lon, lat in located:
        g = record.group
        colour = STATUS_COLOURS[g.status]
        placemark = points.newpoint(
            name=g.name, coords=[(lon, lat)], description=_balloon(record, hrefs.get(g.name))
        )
        if g.first.seen_iso is not None:  # a dateTime without an offset is local time, as XML Schema reads it
            placemark.timestamp.when = g.first.seen_iso
        placemark.style.iconstyle.color = colour
        placemark.style.iconstyle.icon.href = (
            "http://maps.google.com/mapfiles/kml/shapes/placemark_circle.png"
        )
        props = record.properties()
        for key in ("hit_id", "status", "confidence", "error_radius_m", "frames", "views", "time"):
            value = props[key]
            placemark.extendeddata.newdata(name=key, value="" if value is None else str(value))
        if g.error_radius_m is not None:
            ring = circle(lon, lat, g.error_radius_m)
            polygon = circles.newpolygon(name=f"{g.name} ±{g.error_radius_m:.0f} m", outerboundaryis=ring)
            polygon.style.polystyle.color = "40" + colour[2:]
            polygon.style.linestyle.color = colour
            polygon.style.linestyle.width = 2
    return kml, skipped


def write_kml(
    records: Sequence[HitRecord], path: Path, *, title: str = "sartriage hits", images: bool = True
) -> Written:
    """``.kmz``: one file with the tile images inside; ``.kml``: images in ``<stem>_files/`` beside it."""
    path = prepare(Path(path))
    kmz = path.suffix.lower() == ".kmz"
    with tempfile.TemporaryDirectory(prefix="sartriage-kml-") as scratch:
        folder = Path(scratch) if kmz else path.with_name(f"{path.stem}_files")
        written = _images(records, folder) if images else {}
        if kmz:
            hrefs = {name: f"files/{p.name}" for name, p in written.items()}  # where savekmz puts them
            kml, skipped = to_kml(records, title=title, hrefs=hrefs)
            for p in written.values():
                kml.addfile(str(p))
            with atomic(path) as tmp:
                kml.savekmz(str(tmp))
        else:
            hrefs = {name: f"{folder.name}/{p.name}" for name, p in written.items()}
            kml, skipped = to_kml(records, title=title, hrefs=hrefs)
            write_text(path, kml.kml())
    for line in skipped:
        log.warning("KML %s", line)
    return Written(path, len(records) - len(skipped), tuple(skipped))
