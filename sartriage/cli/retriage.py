"""``sartriage retriage``: sort the stored tiles again at new thresholds, without a detector run."""

from __future__ import annotations

import argparse
from dataclasses import replace

from sartriage.cli.commands import add_command
from sartriage.cli.status import add_db_argument
from sartriage.cli.values import share
from sartriage.errors import SartriageError
from sartriage.scan.retriage import retriage, stored_rules
from sartriage.scan.triage import TriageRules
from sartriage.store import open_store


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = add_command(
        subparsers,
        "retriage",
        description="Every done frame's tiles are sorted again at the thresholds given, from the scores "
        "the scan stored (no detector run): tiles newly above the review threshold go to volunteers, "
        "tiles newly above the flag threshold become candidate hits. Flagged tiles and tiles volunteers "
        "already answered are never taken back. Later scans use the model card's thresholds unless given "
        "the same --review-threshold / --flag-threshold.",
    )
    add_db_argument(parser)
    parser.add_argument("--review", type=share, help="new review threshold (default: the mission's last)")
    parser.add_argument("--flag", type=share, help="new flag threshold (default: the mission's last)")
    parser.add_argument(
        "--flight", action="append", default=[], help="only this flight (name or id; repeat for more)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.review is None and args.flag is None:
        raise SartriageError("give --review and/or --flag: the thresholds to sort the tiles at")
    with open_store(args.db, create=False) as store:
        last = stored_rules(store)
        if last is None and (args.review is None or args.flag is None):
            raise SartriageError(
                f"{args.db}: no thresholds recorded for this mission; give both --review and --flag"
            )
        try:
            rules = replace(
                last or TriageRules(args.review, args.flag),
                **{k: v for k, v in (("review", args.review), ("flag", args.flag)) if v is not None},
            )
        except ValueError as exc:
            raise SartriageError(f"{exc}; adjust --review / --flag") from None
        done = retriage(store, rules, args.flight)
    print(done.describe())
    return 0
