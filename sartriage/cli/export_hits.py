"""The hit, map and training formats of ``sartriage export`` (``sartriage.export.formats``, which the app
offers too): their options (hit filters, grouping, anonymity) and the run that writes to ``--out``.
``sartriage.cli.export`` lists them beside the detection formats."""

from __future__ import annotations

import argparse
from pathlib import Path

from sartriage.cli.hits import add_filter_arguments, filter_from
from sartriage.errors import ExportError
from sartriage.export.formats import FORMATS, ExportRequest
from sartriage.export.records import DEFAULT_STATUSES, ExportOptions
from sartriage.store import open_store


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


def run(args: argparse.Namespace) -> int:
    fmt = FORMATS[args.format]
    if args.out is None or str(args.out) == "-":
        raise ExportError(
            f"--format {args.format} writes files: give --out (e.g. {fmt.example or 'hits' + fmt.suffix})"
        )
    out = fmt.path(Path(args.out))
    request = ExportRequest(options_from(args), tuple(args.flight or ()), args.title or "")
    with open_store(args.db, read_only=True) as store:
        done = fmt.write(store, request, out)
    for line in done.details:
        print(line)
    print(f"{args.format}: {done.what} written to {out}")
    return 0
