"""The ``sartriage`` command line.

Each sub-command lives in its own module of this package and exposes
``register(subparsers)``, which adds its parser and sets ``func`` to a
function taking the parsed arguments and returning an exit code.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from sartriage import __version__
from sartriage.errors import SartriageError
from sartriage.printable import printable

# Sub-command modules, in the order `sartriage --help` lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "scan", "status", "hits", "export", "model", "evaluate", "train", "info", "review",
)  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sartriage",
        description="Drone search-and-rescue imagery triage.",
    )
    parser.add_argument("--version", action="version", version=f"sartriage {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"sartriage.cli.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = (logging.WARNING, logging.INFO, logging.DEBUG)[min(args.verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except SartriageError as exc:
        print(f"sartriage: error: {printable(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(
            "sartriage: interrupted; what was committed is kept, run the same command to carry on",
            file=sys.stderr,
        )
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
