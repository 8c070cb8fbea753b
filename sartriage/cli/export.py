"""``sartriage export --format F``: a mission's results as files other tools read.

Each format is one entry of ``FORMATS``: a help line and a function writing the
mission to an open text stream and returning a one-line report. Files are
written whole or not at all (``export.files.atomic``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from sartriage.cli import export_hits
from sartriage.cli.commands import add_command
from sartriage.cli.status import add_db_argument
from sartriage.export import detections, files, formats
from sartriage.store import Store, open_store


@dataclass(frozen=True)
class Format:
    help: str
    write: Callable[[Store, argparse.Namespace, TextIO], str]  # returns what was written, in a few words


def _records(
    store: Store, args: argparse.Namespace, clues: bool = True
) -> Iterator[detections.DetectionRecord]:
    return detections.read_detections(store, tuple(args.flight or ()), args.min_score, clues=clues)


def _coco_results(store: Store, args: argparse.Namespace, out: TextIO) -> str:
    return f"{detections.write_coco_results(_records(store, args, clues=False), out)} person detections"


def _geojson(store: Store, args: argparse.Namespace, out: TextIO) -> str:
    written, unlocated = detections.write_detections_geojson(_records(store, args), out)
    left = f" ({unlocated} without a ground position left out)" if unlocated else ""
    return f"{written} detections{left}"


def _csv(store: Store, args: argparse.Namespace, out: TextIO) -> str:
    return f"{detections.write_detections_csv(_records(store, args), out)} detections"


FORMATS: dict[str, Format] = {
    "coco-results": Format(
        "every person detection as a COCO results list, boxes in frame pixels", _coco_results
    ),
    "geojson": Format("detections (persons and clues) with a ground position as GeoJSON points", _geojson),
    "csv": Format("every detection (person or clue) as a CSV row, with lon/lat/error radius", _csv),
}


def register(subparsers: argparse._SubParsersAction) -> None:
    helps = {name: fmt.help for name, fmt in FORMATS.items()}
    helps.update({name: fmt.help for name, fmt in formats.FORMATS.items()})
    lines = "; ".join(f"{name}: {text}" for name, text in helps.items())
    parser = add_command(
        subparsers,
        "export",
        description=f"Formats: {lines}.",
    )
    add_db_argument(parser)
    parser.add_argument("--format", required=True, choices=sorted(helps), help="what to write")
    parser.add_argument(
        "--out", type=Path, help="file (or folder) to write; detection formats default to stdout"
    )
    parser.add_argument("--flight", action="append", help="only this flight (name or id; repeatable)")
    parser.add_argument(
        "--min-score", type=float, default=0.0, help="only detections (or hits) scoring at least this"
    )
    export_hits.add_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.format in formats.FORMATS:
        return export_hits.run(args)
    fmt = FORMATS[args.format]
    with open_store(args.db, read_only=True) as store:
        if args.out is None or str(args.out) == "-":
            report = fmt.write(store, args, sys.stdout)
            print(f"{args.format}: {report}", file=sys.stderr)
            return 0
        with files.atomic(args.out) as tmp, tmp.open("w", encoding="utf-8", newline="") as stream:
            report = fmt.write(store, args, stream)
    print(f"{args.format}: {report} written to {args.out}")
    return 0
