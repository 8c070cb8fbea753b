"""Hit cards: one printable A4 page per hit for a ground team's briefing.

Each card shows the tile with the person's box, a wider context crop (the tile
outlined in it), the position in decimal degrees, degrees-minutes-seconds, UTM
and MGRS with the error radius, a QR code of a ``geo:`` URI that a phone opens
in its map app, when and in which frame the person was seen, and every other
view. All cards go into one PDF, or one PNG each into a folder.
"""

from __future__ import annotations

import logging
import textwrap
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import segno
from matplotlib.axes import Axes
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from sartriage.coords import geo_uri, lat_lon_decimal, lat_lon_dms, to_mgrs, to_utm
from sartriage.errors import ExportError, SartriageError
from sartriage.export.files import Written, atomic, prepare
from sartriage.export.images import HitImages, hit_images
from sartriage.export.records import HitRecord

log = logging.getLogger(__name__)

A4_PORTRAIT_IN = (8.27, 11.69)
PNG_DPI = 200
STATUS_COLOURS = {
    "found": "#1a9641",
    "confirmed": "#d7191c",
    "not_found": "#636363",
    "candidate": "#fdae61",
    "rejected": "#636363",
}


def qr_matrix(text: str) -> np.ndarray:
    """The QR code of ``text`` as a 0/1 array (1 = dark), with the standard 4-module quiet zone."""
    code = segno.make(text, error="m", micro=False)
    return np.array([list(row) for row in code.matrix_iter(scale=1, border=4)], dtype=np.uint8)


def _image(ax: Axes, pixels: np.ndarray | None, caption: str, missing: str) -> None:
    ax.set_xticks([])
    ax.set_yticks([])
    if pixels is None:
        ax.text(0.5, 0.5, missing, ha="center", va="center", wrap=True, fontsize=9, transform=ax.transAxes)
    else:
        ax.imshow(pixels, interpolation="nearest" if max(pixels.shape[:2]) < 600 else "antialiased")
    ax.set_title(caption, fontsize=9, loc="left")


def _lines(record: HitRecord) -> list[tuple[str, str]]:
    g = record.group
    lead = g.lead
    rows: list[tuple[str, str]] = []
    if g.lon is not None and g.lat is not None:
        utm = to_utm(g.lon, g.lat)
        rows += [
            ("Lat, lon", lat_lon_decimal(g.lon, g.lat)),
            ("DMS", lat_lon_dms(g.lon, g.lat)),
            ("UTM", f"{utm}  (WGS84)"),
            ("MGRS", to_mgrs(g.lon, g.lat)),
        ]
        radius = f"± {g.error_radius_m:.0f} m" if g.error_radius_m is not None else "unknown"
        rows.append(("Error radius", radius))
    else:
        rows.append(("Position", f"not known: frame {lead.frame_name} is not georeferenced"))
    rows += [
        ("First seen" if len(g.views) > 1 else "Seen", g.first.seen),
        ("Frame", f"{lead.frame_name}  (flight {lead.flight_name}, pixel {lead.x:.0f}, {lead.y:.0f})"),
        ("Confidence", f"{g.confidence:.2f}  ({', '.join(sorted({v.source for v in g.views}))})"),
    ]
    if len(g.views) > 1:
        others = ", ".join(v.frame_name for v in g.views[1:])
        rows.append(("Also seen in", others))
    if record.volunteer_count:
        who = f": {', '.join(record.volunteers)}" if record.volunteers else ""
        rows.append(("Volunteers", f"{record.volunteer_count} said person{who}"))
    if g.note:
        rows.append(("Notes", " / ".join(g.note.splitlines())))
    return rows


def card_figure(record: HitRecord, images: HitImages | None, *, missing: str = "", title: str = "") -> Figure:
    """One card as a matplotlib figure (A4 portrait); ``images`` None when the frame is unavailable."""
    g = record.group
    fig = Figure(figsize=A4_PORTRAIT_IN)
    colour = STATUS_COLOURS.get(g.status, "black")
    fig.text(0.06, 0.955, g.name, fontsize=30, fontweight="bold", va="top")
    fig.text(
        0.30,
        0.952,
        g.status.replace("_", " ").upper(),
        fontsize=18,
        color=colour,
        va="top",
        fontweight="bold",
    )
    if title:
        fig.text(0.94, 0.952, title, fontsize=10, ha="right", va="top", color="#444444")
    tile_ax = fig.add_axes((0.06, 0.62, 0.42, 0.29))
    ctx_ax = fig.add_axes((0.52, 0.62, 0.42, 0.29))
    lead = g.lead
    _image(
        tile_ax,
        None if images is None else images.tile,
        f"Tile {lead.tile[2]}x{lead.tile[3]} px, box in red",
        missing,
    )
    _image(ctx_ax, None if images is None else images.context, "Context (tile outlined in yellow)", missing)
    y = 0.585
    for label, value in _lines(record):
        wrapped = textwrap.wrap(value, 44) or [""]
        fig.text(0.06, y, label, fontsize=11, fontweight="bold", va="top")
        fig.text(
            0.24,
            y,
            "\n".join(wrapped),
            fontsize=11,
            va="top",
            family="DejaVu Sans Mono" if label in ("UTM", "MGRS", "Lat, lon") else "DejaVu Sans",
        )
        y -= 0.028 * len(wrapped) + 0.008
    if g.lon is not None and g.lat is not None:
        uri = geo_uri(g.lon, g.lat, g.error_radius_m)
        side = 0.26  # of the page width; the QR code sits right of the text column
        qr_ax = fig.add_axes(
            (
                0.68,
                0.585 - side * A4_PORTRAIT_IN[0] / A4_PORTRAIT_IN[1],
                side,
                side * A4_PORTRAIT_IN[0] / A4_PORTRAIT_IN[1],
            )
        )
        qr_ax.imshow(qr_matrix(uri), cmap="gray_r", interpolation="nearest", vmin=0, vmax=1)
        qr_ax.set_xticks([])
        qr_ax.set_yticks([])
        for spine in qr_ax.spines.values():
            spine.set_visible(False)
        below = 0.585 - side * A4_PORTRAIT_IN[0] / A4_PORTRAIT_IN[1] - 0.005
        fig.text(0.81, below, uri, fontsize=7, ha="center", va="top", family="DejaVu Sans Mono")
        fig.text(
            0.81,
            below - 0.018,
            "scan: opens the phone's map",
            fontsize=8,
            ha="center",
            va="top",
            color="#444444",
        )
    fig.text(0.06, 0.035, f"hit ids {', '.join(str(i) for i in g.hit_ids)}", fontsize=8, color="#666666")
    return fig


def _images_of(record: HitRecord) -> tuple[HitImages | None, str]:
    try:
        return hit_images(record.group.lead), ""
    except (SartriageError, ValueError) as exc:
        log.warning("card %s: no image (%s)", record.name, exc)
        return None, f"Image not available:\n{textwrap.fill(str(exc), 40)}"


def write_cards(records: Sequence[HitRecord], out: Path, *, title: str = "") -> Written:
    """All cards in one PDF (``out`` ends in .pdf), else one ``<name>.png`` per hit in the folder ``out``."""
    out = Path(out)
    if not records:
        raise ExportError(f"{out}: no hits match the filter, so there are no cards; check --status")
    if out.suffix.lower() == ".pdf":
        with atomic(out) as tmp, PdfPages(tmp) as pdf:
            for record in records:
                images, missing = _images_of(record)
                pdf.savefig(card_figure(record, images, missing=missing, title=title))
            meta = pdf.infodict()
            meta["Title"] = title or "sartriage hit cards"
            meta["Creator"] = "sartriage"
        return Written(out, len(records))
    prepare(out / "x.png")
    for record in records:
        images, missing = _images_of(record)
        with atomic(out / f"{record.name}.png") as tmp:
            card_figure(record, images, missing=missing, title=title).savefig(tmp, dpi=PNG_DPI, format="png")
    return Written(out, len(records))
