"""The mission report: a coverage map for print (PDF, and PNG at 300 dpi) and a short summary.

The map is drawn in the mission's UTM zone, in metres, so the scale bar and the
grid are true: frame footprints as outlines, cleared / reviewed / flagged tiles
as fills, hits with their error circles and names, a north arrow pointing to
true north (UTM grid north differs from it by the convergence angle), a
legend and a metric grid labelled in UTM coordinates. The summary beside it:
area covered, frames, tiles by outcome, tiles reviewed, volunteers, hits,
model and thresholds.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, Patch, PathPatch
from matplotlib.patches import Polygon as PolygonPatch
from matplotlib.path import Path as MplPath
from matplotlib.ticker import FuncFormatter, MultipleLocator
from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar
from shapely.geometry.base import BaseGeometry
from sqlalchemy import func, select

from sartriage.coords import UtmProjection
from sartriage.export.coverage import CLASSES, Coverage, tile_class, to_metric
from sartriage.export.files import Written, atomic
from sartriage.export.records import placed
from sartriage.store import Store, schema, stored_utc
from sartriage.words import count

A4_LANDSCAPE_IN = (11.69, 8.27)
PRINT_DPI = 300
FILLS = {"cleared": "#a6d96a", "reviewed": "#fdae61", "flagged": "#d7191c"}
LABELS = {
    "cleared": "cleared by the detector",
    "reviewed": "sent to volunteers (incl. quality checks)",
    "flagged": "flagged by the detector",
}
TILE_WORDS = {"reviewed": "sent to volunteers"}  # the summary's word for a class, where not its name
HIT_COLOUR = "#2b0a8c"
MAX_NOTES = 3  # on the page; the rest are counted


@dataclass(frozen=True)
class MissionSummary:
    mission: str
    first_seen: datetime | None  # UTC; naive when only the camera's clock is known (``camera_clock``)
    last_seen: datetime | None
    flights: int
    frames: dict[str, int]  # frame status -> count
    frames_located: int  # done frames with a ground footprint
    tiles: dict[str, int]  # coverage class -> count
    quality_checks: int
    tiles_reviewed: int  # tiles with at least one volunteer answer
    answers: int
    volunteers: int  # volunteers who answered at least once
    hits: dict[str, int]  # hit status -> count
    persons: int  # hits in the report after one-person-one-hit grouping
    area_m2: float  # ground under all tiles, overlaps counted once
    area_by_class_m2: dict[str, float]
    models: tuple[str, ...]
    thresholds: dict[str, Any] = field(default_factory=dict)
    thresholds_observed: bool = False  # True: not recorded by the scan, read off the tiles' scores
    notes: tuple[str, ...] = ()
    triage_notes: tuple[tuple[str, int], ...] = ()  # (why tiles were not triaged by score, frames)
    camera_clock: bool = False  # no photo told its time zone: the times are the camera's clock

    def lines(self) -> list[str]:
        """The summary as short lines for print and the terminal."""
        when = ""
        if self.first_seen and self.last_seen:
            same_day = self.first_seen.date() == self.last_seen.date()
            end = f"{self.last_seen:%H:%M}" if same_day else f"{self.last_seen:%Y-%m-%d %H:%M}"
            zone = "camera clock, time zone unknown" if self.camera_clock else "UTC"
            when = f"{self.first_seen:%Y-%m-%d %H:%M} – {end} {zone}"
        done = self.frames.get("done", 0)
        out = [
            f"Mission: {self.mission}",
            *([f"Flown: {when}"] if when else []),
            f"Area covered: {self.area_m2 / 1e6:.3f} km² ({self.area_m2 / 1e4:.1f} ha)",
            f"Flights: {self.flights}; frames: {done} scanned, {self.frames.get('failed', 0)} failed, "
            f"{self.frames.get('pending', 0) + self.frames.get('claimed', 0)} pending; "
            f"{self.frames_located} on the map",
            "Tiles: "
            + ", ".join(f"{self.tiles.get(c, 0)} {TILE_WORDS.get(c, c)}" for c in CLASSES)
            + f" ({count(self.quality_checks, 'quality check')})",
            *(
                f"  {c}: {self.area_by_class_m2.get(c, 0.0) / 1e4:.2f} ha"
                for c in CLASSES
                if self.area_by_class_m2.get(c)
            ),
            f"Tiles volunteers answered: {self.tiles_reviewed} "
            f"({count(self.answers, 'answer')} from {count(self.volunteers, 'volunteer')})",
            "Hits: "
            + (", ".join(f"{n} {s.replace('_', ' ')}" for s, n in self.hits.items() if n) or "none")
            + f"; {self.persons} on this map (one per person)",
            f"Model: {', '.join(self.models) or 'unknown'}",
            *(f"Not cleared: {count(n, 'frame')} of {note}" for note, n in self.triage_notes),
        ]
        if self.thresholds:
            values = ", ".join(f"{k} {v}" for k, v in self.thresholds.items())
            out.append(
                f"Thresholds: {values}" + (" (observed from tile scores)" if self.thresholds_observed else "")
            )
        out += [f"Note: {n}" for n in self.notes[:MAX_NOTES]]
        if len(self.notes) > MAX_NOTES:
            out.append(f"Note: {len(self.notes) - MAX_NOTES} more frames whose tiles could not be placed")
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "mission": self.mission,
            "first_seen": self.first_seen.isoformat() if self.first_seen else None,
            "last_seen": self.last_seen.isoformat() if self.last_seen else None,
            "camera_clock": self.camera_clock,
            "flights": self.flights,
            "frames": self.frames,
            "frames_located": self.frames_located,
            "tiles": self.tiles,
            "quality_checks": self.quality_checks,
            "tiles_reviewed": self.tiles_reviewed,
            "answers": self.answers,
            "volunteers": self.volunteers,
            "hits": self.hits,
            "persons": self.persons,
            "area_m2": round(self.area_m2, 1),
            "area_by_class_m2": {k: round(v, 1) for k, v in self.area_by_class_m2.items()},
            "models": list(self.models),
            "thresholds": self.thresholds,
            "thresholds_observed": self.thresholds_observed,
            "notes": list(self.notes),
            "triage_notes": [{"note": note, "frames": n} for note, n in self.triage_notes],
        }


def summarise_mission(store: Store, coverage: Coverage) -> MissionSummary:
    m, fl, f, t, a, h = (
        schema.missions,
        schema.flights,
        schema.frames,
        schema.tiles,
        schema.answers,
        schema.hits,
    )
    with store.connect() as conn:
        mission = conn.execute(select(m.c.name, m.c.settings).order_by(m.c.id)).first()
        flights = conn.execute(select(func.count()).select_from(fl)).scalar_one()
        frames: dict[str, int] = dict(
            conn.execute(select(f.c.status, func.count()).group_by(f.c.status)).all()
        )
        first, last = conn.execute(select(func.min(f.c.captured_at), func.max(f.c.captured_at))).one()
        camera_clock = first is None
        if camera_clock:
            first, last = conn.execute(
                select(func.min(f.c.captured_local), func.max(f.c.captured_local))
            ).one()
        reviewed, answers, volunteers = conn.execute(
            select(func.count(a.c.tile_id.distinct()), func.count(), func.count(a.c.volunteer_id.distinct()))
            .select_from(a)
            .where(a.c.tile_id.is_not(None))
        ).one()
        hits: dict[str, int] = dict(conn.execute(select(h.c.status, func.count()).group_by(h.c.status)).all())
        models = tuple(
            str(v) for v in conn.execute(select(f.c.model).where(f.c.model.is_not(None)).distinct()).scalars()
        )
        tile_counts = conn.execute(
            select(t.c.state, t.c.quality_check, func.count()).group_by(t.c.state, t.c.quality_check)
        ).all()
        minimum = dict(conn.execute(select(t.c.state, func.min(t.c.score)).group_by(t.c.state)).all())
        triage_notes = tuple(
            (str(note), int(n))
            for note, n in conn.execute(
                select(f.c.triage_note, func.count())
                .where(f.c.triage_note.is_not(None))
                .group_by(f.c.triage_note)
            )
        )
    settings = (mission.settings if mission else None) or {}
    thresholds = dict(settings.get("thresholds") or {})
    observed = not thresholds
    if observed:
        thresholds = {
            f"{state} from": round(float(minimum[state]), 3)
            for state in ("review", "flagged")
            if state in minimum
        }
    if not models and settings.get("model"):
        models = (str(settings["model"]),)
    tiles = dict.fromkeys(CLASSES, 0)
    for state, quality_check, n in tile_counts:
        tiles[tile_class(state, bool(quality_check))] += int(n)
    return MissionSummary(
        mission=mission.name if mission else "mission",
        first_seen=first if camera_clock else stored_utc(first),
        last_seen=last if camera_clock else stored_utc(last),
        camera_clock=camera_clock and first is not None,
        flights=int(flights),
        frames={k: int(v) for k, v in frames.items()},
        frames_located=sum(1 for fr in coverage.frames if fr.footprint is not None),
        tiles=tiles,
        quality_checks=sum(int(n) for _, quality_check, n in tile_counts if quality_check),
        tiles_reviewed=int(reviewed),
        answers=int(answers),
        volunteers=int(volunteers),
        hits={s: int(hits.get(s, 0)) for s in schema.HIT_STATES},
        persons=len(coverage.hits),
        area_m2=coverage.area_m2() if coverage.tiles else coverage.frames_area_m2(),
        area_by_class_m2={c: coverage.area_m2([c]) for c in CLASSES},
        models=models,
        thresholds=thresholds,
        thresholds_observed=observed,
        notes=coverage.notes,
        triage_notes=triage_notes,
    )


def nice_step(span: float, target: int = 5) -> float:
    """A 1-2-5 step giving about ``target`` intervals over ``span``."""
    raw = span / max(target, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)


def _north_arrow(ax: Axes, proj: UtmProjection, centre: tuple[float, float]) -> None:
    lon, lat = proj.inverse(np.array([centre[0]]), np.array([centre[1]]))
    x2, y2 = proj.forward(lon, lat + 0.001)
    convergence = math.atan2(float(x2[0]) - centre[0], float(y2[0]) - centre[1])
    dx, dy = math.sin(convergence) * 0.07, math.cos(convergence) * 0.07
    base = (0.93 - dx / 2, 0.82 - dy / 2)
    ax.annotate(
        "",
        xy=(base[0] + dx, base[1] + dy),
        xytext=base,
        xycoords="axes fraction",
        arrowprops={"arrowstyle": "-|>,head_width=0.5,head_length=0.9", "color": "black", "lw": 2.5},
    )
    ax.text(
        base[0] + dx * 1.25,
        base[1] + dy * 1.25,
        "N",
        transform=ax.transAxes,
        ha="center",
        va="bottom",
        fontsize=14,
        fontweight="bold",
    )


def _path(geometry: BaseGeometry) -> MplPath:
    """A matplotlib path of a (multi)polygon, holes included."""
    polygons = getattr(geometry, "geoms", [geometry])
    rings = [ring for poly in polygons if not poly.is_empty for ring in (poly.exterior, *poly.interiors)]
    return MplPath.make_compound_path(*(MplPath(np.asarray(ring.coords), closed=True) for ring in rings))


def _draw_map(ax: Axes, coverage: Coverage, proj: UtmProjection) -> None:
    for fr in coverage.frames:
        if fr.footprint is not None:
            xy = np.asarray(to_metric(fr.footprint, proj).exterior.coords)
            ax.add_patch(PolygonPatch(xy, closed=True, fill=False, ec="#4d4d4d", lw=0.5, alpha=0.8, zorder=4))
    # each class dissolved into one shape, so overlapping frames do not darken the fill; where frames
    # disagree the more telling class (reviewed over cleared, flagged over both) is on top
    for z, cls in enumerate(CLASSES):
        shapes = [to_metric(tile.outline, proj) for tile in coverage.tiles if tile.cls == cls]
        if shapes:
            ax.add_patch(
                PathPatch(
                    _path(shapely.union_all(shapes)), fc=FILLS[cls], ec="none", alpha=0.85, zorder=1 + z
                )
            )
    for record, lon, lat in placed(coverage.hits)[0]:
        x, y = proj.forward(np.array([lon]), np.array([lat]))
        if record.group.error_radius_m:
            ax.add_patch(
                Circle(
                    (float(x[0]), float(y[0])),
                    record.group.error_radius_m,
                    fill=False,
                    ec=HIT_COLOUR,
                    lw=1.2,
                    ls="--",
                    zorder=6,
                )
            )
        ax.plot(x, y, marker="*", ms=14, color=HIT_COLOUR, mec="white", mew=0.8, zorder=7)
        ax.annotate(
            record.name,
            (float(x[0]), float(y[0])),
            xytext=(7, 5),
            textcoords="offset points",
            fontsize=9,
            fontweight="bold",
            color=HIT_COLOUR,
            zorder=8,
        )


def _extent(coverage: Coverage, proj: UtmProjection) -> tuple[float, float, float, float]:
    xs: list[float] = []
    ys: list[float] = []
    for shape in [f.footprint for f in coverage.frames if f.footprint is not None] + [
        t.outline for t in coverage.tiles
    ]:
        bx = to_metric(shape, proj).bounds
        xs += [bx[0], bx[2]]
        ys += [bx[1], bx[3]]
    for record, lon, lat in placed(coverage.hits)[0]:
        x, y = proj.forward(np.array([lon]), np.array([lat]))
        r = record.group.error_radius_m or 0.0
        xs += [float(x[0]) - r, float(x[0]) + r]
        ys += [float(y[0]) - r, float(y[0]) + r]
    pad = 0.06 * max(max(xs) - min(xs), max(ys) - min(ys), 50.0)
    return min(xs) - pad, max(xs) + pad, min(ys) - pad, max(ys) + pad


def report_figure(coverage: Coverage, summary: MissionSummary, *, title: str = "") -> Figure:
    """One A4 landscape page: the coverage map on the left, legend and summary on the right."""
    proj = coverage.projection()
    fig = Figure(figsize=A4_LANDSCAPE_IN)
    fig.text(
        0.04, 0.965, title or f"Search coverage: {summary.mission}", fontsize=16, fontweight="bold", va="top"
    )
    fig.text(
        0.04,
        0.93,
        f"Made {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by sartriage; grid: {proj.name}, WGS84",
        fontsize=8,
        color="#555555",
        va="top",
    )
    ax = fig.add_axes((0.07, 0.08, 0.56, 0.83))
    _draw_map(ax, coverage, proj)
    x0, x1, y0, y1 = _extent(coverage, proj)
    # equal metres on both axes: widen the shorter side to the axes' shape
    box_w, box_h = 0.56 * A4_LANDSCAPE_IN[0], 0.83 * A4_LANDSCAPE_IN[1]
    span_x, span_y = x1 - x0, y1 - y0
    if span_x / span_y < box_w / box_h:
        grow = span_y * box_w / box_h - span_x
        x0, x1 = x0 - grow / 2, x1 + grow / 2
    else:
        grow = span_x * box_h / box_w - span_y
        y0, y1 = y0 - grow / 2, y1 + grow / 2
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal", adjustable="box")
    step = nice_step(max(x1 - x0, y1 - y0), 6)
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(MultipleLocator(step))
        axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}".replace(",", " ")))
    ax.tick_params(labelsize=7)
    ax.tick_params(axis="y", labelrotation=90)
    ax.grid(True, color="#777777", lw=0.4, ls=":", zorder=0)
    ax.set_xlabel(f"UTM {proj.zone}{proj.hemisphere} easting (m)", fontsize=8)
    ax.set_ylabel(f"UTM {proj.zone}{proj.hemisphere} northing (m)", fontsize=8)
    bar = nice_step((x1 - x0) / 4, 1)
    ax.add_artist(
        AnchoredSizeBar(
            ax.transData,
            bar,
            f"{bar:g} m" if bar < 1000 else f"{bar / 1000:g} km",
            "lower left",
            pad=0.6,
            sep=4,
            frameon=True,
            size_vertical=(y1 - y0) / 150,
            fontproperties={"size": 9},
        )
    )
    _north_arrow(ax, proj, ((x0 + x1) / 2, (y0 + y1) / 2))
    handles: list[Artist] = [Patch(fc="none", ec="#4d4d4d", lw=0.8, label="frame footprint")]
    handles += [Patch(fc=FILLS[c], alpha=0.85, label=LABELS[c]) for c in CLASSES]
    handles += [
        Line2D([], [], marker="*", ms=12, color=HIT_COLOUR, mec="white", lw=0, label="hit (one per person)"),
        Line2D([], [], color=HIT_COLOUR, ls="--", lw=1.2, label="hit error radius"),
    ]
    fig.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(0.655, 0.91),
        fontsize=8.5,
        frameon=False,
        title="Legend",
        title_fontproperties={"weight": "bold", "size": 10},
        alignment="left",
    )
    fig.text(0.66, 0.60, "Summary", fontsize=10, fontweight="bold", va="top")
    text = "\n".join(_wrap(line, 58) for line in summary.lines())
    fig.text(0.66, 0.57, text, fontsize=8, va="top", linespacing=1.45)
    return fig


def _wrap(line: str, width: int) -> str:
    return "\n".join(textwrap.wrap(line, width, subsequent_indent="    ")) or line


def write_report(
    coverage: Coverage, summary: MissionSummary, out: Path, *, title: str = "", dpi: int = PRINT_DPI
) -> Written:
    """``<out>.pdf`` (vector) and ``<out>.png`` (``dpi``) of the same page."""
    out = Path(out)
    pdf_path, png_path = out.with_suffix(".pdf"), out.with_suffix(".png")
    fig = report_figure(coverage, summary, title=title)
    with atomic(pdf_path) as tmp, PdfPages(tmp) as pdf:
        pdf.savefig(fig)
        info = pdf.infodict()
        info["Title"] = title or f"Search coverage: {summary.mission}"
        info["Creator"] = "sartriage"
    with atomic(png_path) as tmp:
        fig.savefig(tmp, dpi=dpi, format="png")
    return Written(pdf_path, 1, coverage.notes)


def report_paths(out: Path) -> Sequence[Path]:
    return (Path(out).with_suffix(".pdf"), Path(out).with_suffix(".png"))
