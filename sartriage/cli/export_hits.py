"""The hit, map and training formats of ``sartriage export``: each writes files to ``--out``.

``sartriage.cli.export`` lists them beside the detection formats; this module
holds their options (hit filters, grouping, anonymity) and the calls into
``sartriage.export``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sartriage.cli.hits import add_filter_arguments, filter_from
from sartriage.errors import ExportError
from sartriage.export.cards import write_cards
from sartriage.export.coverage import Coverage, load_coverage, write_layers
from sartriage.export.csvfile import write_csv
from sartriage.export.files import Written
from sartriage.export.geojson import write_geojson
from sartriage.export.gpx import write_gpx
from sartriage.export.kml import write_kml
from sartriage.export.records import DEFAULT_STATUSES, ExportOptions, load_records
from sartriage.export.report import PRINT_DPI, report_paths, summarise_mission, write_report
from sartriage.export.training import write_training
from sartriage.store import Store, open_store


@dataclass(frozen=True)
class FileFormat:
    help: str
    write: Callable[[Store, argparse.Namespace, Path], str]  # returns what was written, in a few words
    suffix: str  # the file name ending --out is given when it lacks it ("" to take --out as it is)
    example: str = ""

    def path(self, out: Path) -> Path:
        """Where --out ``out`` writes: inside it when it is a folder, as given when it has an ending,
        else with this format's ending added."""
        if not self.suffix:
            return out
        if out.is_dir():
            return out / (self.example or f"hits{self.suffix}")
        return out if out.suffix else out.with_name(out.name + self.suffix)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_filter_arguments(parser, default_status=DEFAULT_STATUSES, common=False)
    group = parser.add_argument_group("hit exports")
    group.add_argument(
        "--all-views",
        action="store_true",
        help="one entry per view instead of one per person (views within each other's error radius)",
    )
    group.add_argument("--anonymous", action="store_true", help="leave volunteer names out (counts stay)")
    group.add_argument("--title", help="name shown in GPS units, Google Earth and on the report")


def options_from(args: argparse.Namespace) -> ExportOptions:
    return ExportOptions(filter=filter_from(args), group=not args.all_views, anonymous=args.anonymous)


def _title(store: Store, args: argparse.Namespace) -> str:
    return str(args.title or f"sartriage hits: {Path(store.location).stem}")


def _report(written: Written, what: str) -> str:
    left = f" ({len(written.skipped)} without a ground position left out)" if written.skipped else ""
    return f"{written.count} {what}{left}"


def _gpx(store: Store, args: argparse.Namespace, out: Path) -> str:
    return _report(
        write_gpx(load_records(store, options_from(args)), out, title=_title(store, args)), "waypoints"
    )


def _kml(store: Store, args: argparse.Namespace, out: Path) -> str:
    return _report(
        write_kml(load_records(store, options_from(args)), out, title=_title(store, args)), "placemarks"
    )


def _geojson(store: Store, args: argparse.Namespace, out: Path) -> str:
    return _report(
        write_geojson(load_records(store, options_from(args)), out, title=_title(store, args)), "hits"
    )


def _csv(store: Store, args: argparse.Namespace, out: Path) -> str:
    return _report(write_csv(load_records(store, options_from(args)), out), "hits")


def _cards(store: Store, args: argparse.Namespace, out: Path) -> str:
    records = load_records(store, options_from(args))
    return _report(write_cards(records, out, title=_title(store, args)), "hit cards")


def _coverage(store: Store, args: argparse.Namespace) -> Coverage:
    return load_coverage(store, load_records(store, options_from(args)), tuple(args.flight or ()))


def _layers(store: Store, args: argparse.Namespace, out: Path) -> str:
    written = write_layers(_coverage(store, args), out)
    left = f"; {len(written.skipped)} frames without tiles on the map" if written.skipped else ""
    return f"{written.count} features in frames, tiles-cleared/-reviewed/-flagged and hits .geojson{left}"


def _report_pdf(store: Store, args: argparse.Namespace, out: Path) -> str:
    coverage = _coverage(store, args)
    summary = summarise_mission(store, coverage)
    write_report(coverage, summary, out, title=args.title or "")
    print("\n".join(summary.lines()))
    pdf, png = report_paths(out)
    return f"coverage map and summary in {pdf.name} and {png.name} ({PRINT_DPI} dpi)"


def _training(store: Store, args: argparse.Namespace, out: Path) -> str:
    done = write_training(store, out, flights=tuple(args.flight or ()), anonymous=args.anonymous)
    left = f"; {len(done.skipped)} frames could not be read" if done.skipped else ""
    return (
        f"{done.images} tiles ({done.positives} with people, {done.boxes} boxes; {done.negatives} empty) "
        f"as COCO and YOLO, {done.needs_boxes} person tiles needing a box "
        f"({done.model_misses} missed by the detector){left}"
    )


FILE_FORMATS: dict[str, FileFormat] = {
    "gpx": FileFormat("hits as GPX 1.1 waypoints for handheld GPS and phone apps", _gpx, ".gpx"),
    "kml": FileFormat("hits as KML placemarks with error circles, tile images beside it", _kml, ".kml"),
    "kmz": FileFormat("hits as KMZ (Google Earth, CalTopo) with the tile images inside", _kml, ".kmz"),
    "hits-geojson": FileFormat("hits as GeoJSON points with every attribute", _geojson, ".geojson"),
    "cards": FileFormat("printable hit cards, all in one PDF (or a folder of PNGs)", _cards, "", "cards.pdf"),
    "coverage": FileFormat(
        "GeoJSON layers of what was searched: frames, cleared/reviewed/flagged tiles, hits",
        _layers,
        "",
        "coverage/",
    ),
    "report": FileFormat(
        "coverage map (PDF and 300 dpi PNG) with mission summary", _report_pdf, ".pdf", "report.pdf"
    ),
    "training": FileFormat(
        "reviewed tiles cut out with COCO and YOLO labels, for fine-tuning", _training, "", "training/"
    ),
    "hits-csv": FileFormat("hits as CSV: lat, lon, MGRS, UTM, time, frame, score, status", _csv, ".csv"),
}


def run(args: argparse.Namespace) -> int:
    fmt = FILE_FORMATS[args.format]
    if args.out is None or str(args.out) == "-":
        raise ExportError(
            f"--format {args.format} writes files: give --out (e.g. {fmt.example or 'hits' + fmt.suffix})"
        )
    out = fmt.path(Path(args.out))
    with open_store(args.db, read_only=True) as store:
        report = fmt.write(store, args, out)
    print(f"{args.format}: {report} written to {out}")
    return 0
