"""The ``sartriage`` command line.

Each sub-command lives in its own module of this package and exposes
``register(subparsers)``, which adds its parser and sets ``func`` to a
function taking the parsed arguments and returning an exit code.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence

from sartriage import __version__
from sartriage.cli.commands import COMMANDS, add_command
from sartriage.errors import SartriageError
from sartriage.printable import printable


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; with ``argv``, only the module of the command it names is imported (the others are
    listed by name and summary), so `--help`, `--version` and every command start without the rest."""
    parser = argparse.ArgumentParser(
        prog="sartriage",
        description="Drone search-and-rescue imagery triage.",
    )
    parser.add_argument("--version", action="version", version=f"sartriage {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    command = None if argv is None else next((word for word in argv if not word.startswith("-")), "")
    wanted = None if command is None else {COMMANDS[command][0]} if command in COMMANDS else set()
    registered: set[str] = set()
    for name, (module, _summary) in COMMANDS.items():
        if wanted is not None and module not in wanted:
            add_command(subparsers, name)
        elif module not in registered:
            importlib.import_module(f"sartriage.cli.{module}").register(subparsers)
            registered.add(module)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    level = (logging.WARNING, logging.INFO, logging.DEBUG)[min(args.verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe is told here, not as an error at exit
        return code
    except SartriageError as exc:
        print(f"sartriage: error: {printable(exc)}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `sartriage status --json | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 141
    except KeyboardInterrupt:
        print(
            "sartriage: interrupted; what was committed is kept, run the same command to carry on",
            file=sys.stderr,
        )
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
