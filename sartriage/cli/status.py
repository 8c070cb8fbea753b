"""``sartriage status``: per flight, frames done / failed / pending, tiles per state, detections, review."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from sartriage.cli.commands import add_command
from sartriage.printable import printable
from sartriage.scan.summary import FlightSummary, summarise
from sartriage.store import open_store
from sartriage.store.photos import kept_line
from sartriage.words import count

DEFAULT_DB = "mission.sqlite"


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        default=os.environ.get("SARTRIAGE_DB", DEFAULT_DB),
        help=f"mission store: a .sqlite path or postgresql:// URL (default: $SARTRIAGE_DB or ./{DEFAULT_DB})",
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = add_command(
        subparsers,
        "status",
        description="Per flight: frames done / failed / pending, tiles per triage state (flagged, review, "
        "cleared), detections, candidate hits and the volunteer review queue.",
    )
    add_db_argument(parser)
    parser.add_argument(
        "--json",
        action="store_true",
        help="print JSON for scripts: a list of flights with the keys frames_done, frames_failed, "
        "frames_pending, tiles {state: count}, detections (persons), clues, hits, review",
    )
    parser.add_argument("--failures", type=int, default=5, help="failed frames listed per flight (default 5)")
    parser.set_defaults(func=run)


def describe(summary: FlightSummary) -> list[str]:
    """A flight's summary as a few lines for people."""
    frames = summary.frames_done + summary.frames_failed + summary.frames_pending
    tiles = summary.tiles
    review = f"{tiles['review']} for review"
    if summary.quality_checks:
        n = summary.quality_checks
        review += f" ({n} of them {'a quality check' if n == 1 else 'quality checks'})"
    found = count(summary.detections, "detection")
    if summary.clues:
        found += f" (and {count(summary.clues, 'clue')})"
    lines = [
        f'flight {summary.flight_id} "{printable(summary.name)}" ({printable(summary.folder)}): '
        f"{count(frames, 'frame')}: "
        f"{summary.frames_done} done, {summary.frames_failed} failed, {summary.frames_pending} pending",
        f"  {count(sum(tiles.values()), 'tile')}: {tiles['flagged']} flagged, {review}, "
        f"{tiles['cleared']} cleared; "
        f"{found}; {count(summary.hits.get('candidate', 0), 'candidate hit')}"
        + "".join(f", {n} {status}" for status, n in sorted(summary.hits.items()) if status != "candidate"),
    ]
    for note, frames_noted in summary.triage_notes:
        lines.append(f"  {count(frames_noted, 'frame')} of {note}")
    placed = []
    if summary.unplaced:
        placed.append(
            f"{count(summary.unplaced, 'frame')} without a GPS position (a person there cannot be placed)"
        )
    if summary.gps_only:
        placed.append(
            f"{count(summary.gps_only, 'frame')} only at their GPS position (no camera attitude or height: "
            "positions there are off by up to hundreds of metres)"
        )
    if placed:
        lines.append("  placement: " + "; ".join(placed))
    if summary.review:
        done = sum(n for state, n in summary.review.items() if state != "open")
        lines.append(
            f"  review: {count(summary.answers, 'volunteer answer')}; {done} of "
            f"{sum(summary.review.values())} queued tiles closed"
            + "".join(f", {n} {state}" for state, n in sorted(summary.review.items()))
        )
    for path, error in summary.failures:
        reason = error.removeprefix(f"{path}: ")
        lines.append(f"  failed: {printable(Path(path).name)}: {printable(reason)}")
    if summary.frames_failed > len(summary.failures):
        lines.append(f"  ... and {summary.frames_failed - len(summary.failures)} more failed frames")
    return lines


def run(args: argparse.Namespace) -> int:
    with open_store(args.db, read_only=True) as store:
        summaries = summarise(store, failures=max(0, args.failures))
        kept = kept_line(store, sum(s.frames_done for s in summaries))
    if args.json:
        print(json.dumps([s.to_json() for s in summaries], indent=2))
        return 0
    if not summaries:
        print(f"{args.db}: no flights yet; add one with `sartriage scan FOLDER --db {args.db}`")
        return 0
    for summary in summaries:
        print("\n".join(describe(summary)))
    if kept:
        print(kept)
    return 0
