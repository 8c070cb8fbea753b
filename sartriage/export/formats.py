"""Every file export of a mission's hits, maps and training data: one registry that ``sartriage export``
and the app both offer, each format a writer from the store to a path and a line saying what it wrote."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sartriage.export.cards import write_cards
from sartriage.export.coverage import Coverage, load_coverage, write_layers
from sartriage.export.csvfile import write_csv
from sartriage.export.files import Written
from sartriage.export.geojson import write_geojson
from sartriage.export.gpx import write_gpx
from sartriage.export.kml import write_kml
from sartriage.export.records import ExportOptions, load_records
from sartriage.export.report import PRINT_DPI, report_paths, summarise_mission, write_report
from sartriage.export.training import write_training
from sartriage.store import Store


@dataclass(frozen=True)
class ExportRequest:
    """What to export: which hits and how (``options``), the flights maps and training data cover (empty:
    all), and a title for GPS units, Google Earth and printouts (empty: the mission's name)."""

    options: ExportOptions = field(default_factory=ExportOptions)
    flights: tuple[str, ...] = ()
    title: str = ""

    def title_for(self, store: Store) -> str:
        return self.title or f"sartriage hits: {Path(store.location).stem}"


@dataclass(frozen=True)
class Exported:
    """What an export wrote, in a few words, and longer lines to show before it (a report's summary)."""

    what: str
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExportFormat:
    label: str  # what it is for, in a coordinator's words (the app's file-type list)
    help: str
    write: Callable[[Store, ExportRequest, Path], Exported]
    suffix: str  # the ending a path is given when it lacks one ("" to take the path as it is: a folder)
    example: str = ""

    @property
    def ending(self) -> str:
        """The ending of the file it writes (".gpx", ".pdf"); empty for a folder."""
        return self.suffix or Path(self.example).suffix

    def path(self, out: Path) -> Path:
        """Where ``out`` writes: inside it when it is a folder, as given when it has an ending, else with
        this format's ending added."""
        if not self.suffix:
            return out
        if out.is_dir():
            return out / (self.example or f"hits{self.suffix}")
        return out if out.suffix else out.with_name(out.name + self.suffix)


def _left_out(written: Written, what: str) -> Exported:
    left = f" ({len(written.skipped)} without a ground position left out)" if written.skipped else ""
    return Exported(f"{written.count} {what}{left}")


def _gpx(store: Store, request: ExportRequest, out: Path) -> Exported:
    records = load_records(store, request.options)
    return _left_out(write_gpx(records, out, title=request.title_for(store)), "waypoints")


def _kml(store: Store, request: ExportRequest, out: Path) -> Exported:
    records = load_records(store, request.options)
    return _left_out(write_kml(records, out, title=request.title_for(store)), "placemarks")


def _geojson(store: Store, request: ExportRequest, out: Path) -> Exported:
    records = load_records(store, request.options)
    return _left_out(write_geojson(records, out, title=request.title_for(store)), "hits")


def _csv(store: Store, request: ExportRequest, out: Path) -> Exported:
    return _left_out(write_csv(load_records(store, request.options), out), "hits")


def _cards(store: Store, request: ExportRequest, out: Path) -> Exported:
    records = load_records(store, request.options)
    return _left_out(write_cards(records, out, title=request.title_for(store)), "hit cards")


def _coverage(store: Store, request: ExportRequest) -> Coverage:
    return load_coverage(store, load_records(store, request.options), request.flights)


def _layers(store: Store, request: ExportRequest, out: Path) -> Exported:
    written = write_layers(_coverage(store, request), out)
    left = f"; {len(written.skipped)} frames without tiles on the map" if written.skipped else ""
    return Exported(
        f"{written.count} features in frames, tiles-cleared/-reviewed/-flagged and hits .geojson{left}"
    )


def _report(store: Store, request: ExportRequest, out: Path) -> Exported:
    coverage = _coverage(store, request)
    summary = summarise_mission(store, coverage)
    write_report(coverage, summary, out, title=request.title)
    pdf, png = report_paths(out)
    return Exported(
        f"coverage map and summary in {pdf.name} and {png.name} ({PRINT_DPI} dpi)", tuple(summary.lines())
    )


def _training(store: Store, request: ExportRequest, out: Path) -> Exported:
    done = write_training(store, out, flights=request.flights, anonymous=request.options.anonymous)
    left = f"; {len(done.skipped)} frames could not be read" if done.skipped else ""
    return Exported(
        f"{done.images} tiles ({done.positives} with people, {done.boxes} boxes; {done.negatives} empty) "
        f"as COCO and YOLO, {done.needs_boxes} person tiles needing a box "
        f"({done.model_misses} missed by the detector){left}"
    )


FORMATS: dict[str, ExportFormat] = {
    "gpx": ExportFormat(
        "GPX waypoints for a handheld GPS or phone",
        "hits as GPX 1.1 waypoints for handheld GPS and phone apps",
        _gpx,
        ".gpx",
    ),
    "kmz": ExportFormat(
        "KMZ for Google Earth or CalTopo, pictures inside",
        "hits as KMZ (Google Earth, CalTopo) with the tile images inside",
        _kml,
        ".kmz",
    ),
    "kml": ExportFormat(
        "KML with the pictures beside it",
        "hits as KML placemarks with error circles, tile images beside it",
        _kml,
        ".kml",
    ),
    "hits-geojson": ExportFormat(
        "GeoJSON points for QGIS", "hits as GeoJSON points with every attribute", _geojson, ".geojson"
    ),
    "hits-csv": ExportFormat(
        "CSV table with MGRS and UTM",
        "hits as CSV: lat, lon, MGRS, UTM, time, frame, score, status",
        _csv,
        ".csv",
    ),
    "cards": ExportFormat(
        "Hit cards to print, one PDF",
        "printable hit cards, all in one PDF (or a folder of PNGs)",
        _cards,
        "",
        "cards.pdf",
    ),
    "report": ExportFormat(
        "Map of what was searched, with the mission summary: PDF and PNG",
        "coverage map (PDF and 300 dpi PNG) with mission summary",
        _report,
        ".pdf",
        "report.pdf",
    ),
    "coverage": ExportFormat(
        "Layers of what was searched: GeoJSON files in a folder",
        "GeoJSON layers of what was searched: frames, cleared/reviewed/flagged tiles, hits",
        _layers,
        "",
        "coverage/",
    ),
    "training": ExportFormat(
        "Training data for the detector: COCO and YOLO in a folder",
        "reviewed tiles cut out with COCO and YOLO labels, for fine-tuning",
        _training,
        "",
        "training/",
    ),
}
