"""``sartriage hits``: list candidates and decide on them, as the app does."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sartriage import hits
from sartriage.cli.commands import add_command
from sartriage.cli.status import add_db_argument
from sartriage.cli.values import four_numbers
from sartriage.errors import ReviewError
from sartriage.hits.grouping import group_of_each, same_spot
from sartriage.printable import printable
from sartriage.store import open_store

ACTION_HELP = {
    "confirm": "confirm hits: they go to ground teams",
    "reject": "reject hits: not a person",
    "found": "a ground team found the person at these hits",
    "not-found": "a ground team searched these hits and found nobody",
    "reopen": "undo a decision: the hits become candidates again",
}


def parse_time(text: str) -> datetime:
    """An ISO 8601 time; without a zone it is taken as UTC."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a time; write e.g. 2026-11-29T08:30 (UTC)"
        ) from exc
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def add_filter_arguments(
    parser: argparse.ArgumentParser, *, default_status: tuple[str, ...] = (), common: bool = True
) -> None:
    """Hit filters; ``common=False`` leaves out --flight and --min-score where a parser has them already."""
    group = parser.add_argument_group("hit filters")
    group.add_argument(
        "--status",
        action="append",
        choices=hits.HIT_STATES,
        help=f"only hits in this status (repeat for several; default: {', '.join(default_status) or 'all'})",
    )
    group.add_argument("--source", action="append", choices=hits.SOURCES, help="only hits from this source")
    if common:
        group.add_argument("--flight", action="append", help="only hits from this flight (name or id)")
        group.add_argument("--min-score", type=float, help="only hits with at least this confidence (0-1)")
    group.add_argument("--since", type=parse_time, help="only hits seen at or after this time (ISO, UTC)")
    group.add_argument("--until", type=parse_time, help="only hits seen at or before this time (ISO, UTC)")
    group.add_argument("--max-score", type=float, help="only hits with at most this confidence (0-1)")
    parser.set_defaults(default_status=default_status)


def filter_from(args: argparse.Namespace) -> hits.HitFilter:
    return hits.HitFilter(
        statuses=tuple(args.status or args.default_status),
        sources=tuple(args.source or ()),
        flights=tuple(args.flight or ()),
        since=args.since,
        until=args.until,
        min_score=args.min_score,
        max_score=args.max_score,
    )


def hit_record(hit: hits.Hit, also: Sequence[hits.Hit] = ()) -> dict[str, Any]:
    return {
        "id": hit.id,
        "status": hit.status,
        "source": hit.source,
        "confidence": round(hit.confidence, 4),
        "lon": hit.lon,
        "lat": hit.lat,
        "error_radius_m": hit.error_radius_m,
        "frame": hit.frame_name,
        "flight": hit.flight_name,
        "x": hit.x,
        "y": hit.y,
        "time": hit.seen_iso,
        "time_zone_known": hit.captured_at is not None,
        "decided_at": hit.decided_at.isoformat() if hit.decided_at else None,
        "note": hit.note,
        "same_spot": [v.id for v in also],
    }


def _seen(hit: hits.Hit) -> str:
    """The capture time, marked UTC, or "local" for a camera clock of unknown time zone."""
    t = hit.seen_time
    return "unknown" if t is None else f"{t:%Y-%m-%d %H:%M:%S} {'UTC' if t.tzinfo else 'local'}"


def _line(hit: hits.Hit, also: Sequence[hits.Hit] = ()) -> str:
    where = (
        f"{hit.lat:.6f},{hit.lon:.6f} ±{hit.error_radius_m:.0f} m"
        if hit.located and hit.error_radius_m is not None
        else (f"{hit.lat:.6f},{hit.lon:.6f}" if hit.located else "not georeferenced")
    )
    note = hit.note.splitlines()[-1] if hit.note else ""
    same = ",".join(str(v.id) for v in also) or "-"
    return (
        f"{hit.id:>6}  {hit.status:<10} {hit.confidence:5.2f}  {hit.source:<10} "
        f"{_seen(hit):<23}  {printable(hit.frame_name):<24} {where:<36} {same:<10} "
        f"{printable(note)}"
    ).rstrip()


BOX = four_numbers("X1,Y1,X2,Y2 in frame pixels", "1510,1400,1540,1450")


def run_list(args: argparse.Namespace) -> int:
    with open_store(args.db, read_only=True) as store:
        found = hits.list_hits(store, filter_from(args), limit=args.limit)
    groups = group_of_each(found)  # views of one spot among the listed hits
    if args.json:
        print(json.dumps([hit_record(h, same_spot(h, groups[h.id])) for h in found], indent=2))
        return 0
    if not found:
        print("no hits match")
        return 0
    print(
        f"{'id':>6}  {'status':<10} {'score':>5}  {'source':<10} {'seen':<23}  {'frame':<24} "
        f"{'where':<36} {'same spot':<10} last note"
    )
    for hit in found:
        print(_line(hit, same_spot(hit, groups[hit.id])))
    return 0


def run_action(args: argparse.Namespace) -> int:
    with open_store(args.db, create=False) as store:
        failed = 0
        for hit_id in args.ids:
            try:
                hit = hits.ACTIONS[args.action](store, hit_id, args.note)
            except ReviewError as exc:  # one refused hit does not stop the others
                print(f"sartriage: error: {exc}", file=sys.stderr)
                failed += 1
                continue
            print(_line(hit))
    return 1 if failed else 0


def run_note(args: argparse.Namespace) -> int:
    with open_store(args.db, create=False) as store:
        print(_line(hits.add_note(store, args.id, args.text)))
    return 0


def run_mark(args: argparse.Namespace) -> int:
    with open_store(args.db, create=False) as store:
        frame_id = hits.frame_named(store, args.frame)
        print(_line(hits.mark_person(store, frame_id, args.box, args.note or "")))
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = add_command(subparsers, "hits")
    commands = parser.add_subparsers(dest="hits_command", metavar="ACTION", required=True)

    listing = commands.add_parser("list", help="hits best first (highest confidence), with filters")
    add_db_argument(listing)
    add_filter_arguments(listing)
    listing.add_argument("--limit", type=int, help="show at most this many")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    listing.set_defaults(func=run_list)

    for action, text in ACTION_HELP.items():
        sub = commands.add_parser(action, help=text)
        add_db_argument(sub)
        sub.add_argument(
            "ids", type=int, nargs="+", metavar="HIT_ID", help="hit ids (see `sartriage hits list`)"
        )
        sub.add_argument("--note", help="a note stored with the decision (timestamped)")
        sub.set_defaults(func=run_action, action=action)

    mark = commands.add_parser(
        "mark", help="a person the detector and volunteers missed: a confirmed hit you draw on a frame"
    )
    add_db_argument(mark)
    mark.add_argument("frame", metavar="FRAME", help="the frame's file name (e.g. DJI_0042.JPG) or id")
    mark.add_argument("box", type=BOX, metavar="X1,Y1,X2,Y2", help="the person's box in frame pixels")
    mark.add_argument("--note", help="a note stored with it (timestamped)")
    mark.set_defaults(func=run_mark)

    note = commands.add_parser("note", help="add a timestamped note to a hit")
    add_db_argument(note)
    note.add_argument("id", type=int, metavar="HIT_ID")
    note.add_argument("text", help="the note")
    note.set_defaults(func=run_note)
