"""``sartriage scan FOLDER``: score every tile of every photo into a mission store, resumably."""

from __future__ import annotations

import argparse
import contextlib
import logging
import math
import sys
import warnings
from pathlib import Path

from tqdm import tqdm

from sartriage import hits, words
from sartriage.cli.commands import add_command
from sartriage.cli.status import add_db_argument, describe
from sartriage.cli.stop import stop_on_signals
from sartriage.cli.values import count, positive, share
from sartriage.detect.choice import Models
from sartriage.detect.session import DEVICES
from sartriage.errors import SartriageError, SartriageWarning
from sartriage.printable import printable
from sartriage.scan import ScanOptions, ScanProgress, TriageRules, scan
from sartriage.scan.pipeline import FINDING, WATCHING, default_worker_id
from sartriage.scan.summary import summarise
from sartriage.scan.triage import DEFAULT_QUALITY_SHARE
from sartriage.store import Store, open_store
from sartriage.store.photos import kept_folder

log = logging.getLogger(__name__)

BEST = 5  # candidate hits named in the summary
BAR_FORMAT = "{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} frames [{elapsed}{postfix}]"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = add_command(
        subparsers,
        "scan",
        description="Find every JPEG/TIFF/GeoTIFF under FOLDER, tile it, run the person detector and sort "
        "each tile into flagged (straight to the coordinator), review (volunteers) or cleared, committing "
        "frame by frame. Killed or interrupted, the same command carries on where it stopped; files the "
        "mission already holds (same content) are skipped.",
    )
    parser.add_argument(
        "folder", type=Path, metavar="FOLDER", help="folder the flight's photos were copied to"
    )
    add_db_argument(parser)
    parser.add_argument("--flight", help="name of the flight (default: the folder's name)")
    model = parser.add_mutually_exclusive_group()
    model.add_argument(
        "--model",
        type=Path,
        help="ONNX detector with its card beside it, for every frame (default: the shipped RGB model for "
        "colour frames, the shipped thermal model for thermal ones)",
    )
    model.add_argument(
        "--card", type=Path, dest="model", metavar="CARD", help="the model card (.card.toml) of the detector"
    )
    parser.add_argument(
        "--device",
        default="auto",
        choices=tuple(DEVICES),
        help="where inference runs (auto: TensorRT, then CUDA, then CPU; the one used is printed)",
    )
    parser.add_argument("--threads", type=count, help="CPU threads for inference (default: all)")
    parser.add_argument(
        "--review-threshold", type=share, help="tiles scoring at least this go to volunteers (default: card)"
    )
    parser.add_argument(
        "--flag-threshold",
        type=share,
        help="tiles scoring at least this go to the coordinator (default: card; given alone, also the "
        "lowest review threshold)",
    )
    parser.add_argument(
        "--quality-share",
        type=share,
        default=DEFAULT_QUALITY_SHARE,
        help=f"share of cleared tiles sent to review to measure misses (default {DEFAULT_QUALITY_SHARE})",
    )
    parser.add_argument(
        "--dem",
        type=Path,
        metavar="DSM.tif",
        help="terrain GeoTIFF (DSM/DTM) that every photo's camera rays meet, instead of flat ground at "
        "the take-off height; recorded with each frame (as in `sartriage info --dem`)",
    )
    parser.add_argument(
        "--keep-photos",
        type=Path,
        metavar="DIR",
        help="keep copies of the photos volunteers and hit cards need in DIR (default: beside a SQLite "
        "store; a PostgreSQL mission keeps none without it); recorded in the store for every later command",
    )
    parser.add_argument(
        "--watch", action="store_true", help="keep scanning new files as they appear (Ctrl-C ends)"
    )
    parser.add_argument("--retry-failed", action="store_true", help="try the flight's failed frames again")
    parser.add_argument(
        "--follow-links",
        action="store_true",
        help="also take frames behind links that lead outside the folder (left out by default)",
    )
    shared = parser.add_argument_group("several workers on one PostgreSQL mission")
    shared.add_argument(
        "--worker-id",
        default=default_worker_id(),
        help="this worker's name, unique among the workers (default: this machine's name)",
    )
    shared.add_argument(
        "--claim-timeout",
        type=positive,
        default=300.0,
        metavar="SECONDS",
        help="a frame claimed by a worker silent this long goes back to the queue (default 300)",
    )
    parser.add_argument(
        "--readers", type=count, default=2, help="threads reading frames ahead of the detector (default 2)"
    )
    parser.set_defaults(func=run)


class _Bar:
    """tqdm bars over scan progress: files while finding, then frames with tiles/s and ETA."""

    def __init__(self, flight: str) -> None:
        self.flight = flight
        self.bar: tqdm | None = None
        self.phase = ""

    def update(self, p: ScanProgress) -> None:
        if p.phase != self.phase and (p.phase == FINDING or self.phase in ("", FINDING)):
            self.close()
            if p.phase == FINDING:
                self.bar = tqdm(
                    desc=f"finding frames in {self.flight}", unit=" files", disable=None, leave=False
                )
            else:
                self.bar = tqdm(
                    desc=self.flight,
                    total=p.frames_total,
                    unit=" frames",
                    disable=None,
                    bar_format=BAR_FORMAT,
                )
        self.phase = p.phase
        if self.bar is None:
            return
        if p.phase == FINDING:
            self.bar.n = p.files_seen
        else:
            self.bar.total = p.frames_total
            self.bar.n = p.frames_done + p.frames_failed
            eta = "--:--" if p.eta_s is None else tqdm.format_interval(p.eta_s)
            waiting = ", watching for new files" if p.phase == WATCHING else ""
            self.bar.set_postfix_str(
                f"{p.tiles_per_s:.1f} tiles/s, ETA {eta}, {p.tiles_flagged} flagged{waiting}", refresh=False
            )
        if p.error and not self.bar.disable:  # on a terminal; otherwise the summary lists failures
            self.bar.write(f"failed: {printable(p.error)}", file=sys.stderr)
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def run(args: argparse.Namespace) -> int:
    if not args.folder.is_dir():
        raise SartriageError(f"{args.folder}: not a folder; give the folder the drone photos were copied to")
    with open_store(args.db) as store:  # a bad --db is told before the model loads
        return _run(store, args)


def _run(store: Store, args: argparse.Namespace) -> int:
    models = Models.open(args.model, device=args.device, threads=args.threads)
    options = ScanOptions(
        flight=args.flight,
        review=args.review_threshold,
        flag=args.flag_threshold,
        quality_share=args.quality_share,
        worker_id=args.worker_id,
        readers=args.readers,
        claim_timeout_s=args.claim_timeout,
        watch=args.watch,
        retry_failed=args.retry_failed,
        follow_links=args.follow_links,
        dem=args.dem,
        keep_photos=args.keep_photos,
    )
    for detector in models.detectors:
        try:
            TriageRules.from_card(
                detector.card, args.review_threshold, args.flag_threshold, args.quality_share
            )
        except ValueError as exc:
            raise SartriageError(f"{exc}; adjust --review-threshold / --flag-threshold") from None
    print(models.describe(), file=sys.stderr)
    if args.keep_photos is None and kept_folder(store) is None:
        print(
            "photos are not copied for review (this mission has no folder for them): keep the photo folder "
            "in place until review is done, or scan with --keep-photos DIR",
            file=sys.stderr,
        )
    interrupted, last = _scan(store, args, models, options)
    if last is not None:
        _report(store, args, last)
    if interrupted and not args.watch:
        print("interrupted: what was committed is kept; run the same command to carry on", file=sys.stderr)
        return 130
    return 0


def _scan(
    store: Store, args: argparse.Namespace, models: Models, options: ScanOptions
) -> tuple[bool, ScanProgress | None]:
    bar = _Bar(options.flight or args.folder.resolve().name)
    last: ScanProgress | None = None
    if args.watch:
        print(f"watching {args.folder} for new frames; Ctrl-C (or SIGTERM) stops", file=sys.stderr)
    try:
        # metadata gaps are stored with each frame; a line per photo would drown the bar
        with (
            stop_on_signals(),
            warnings.catch_warnings(),
            contextlib.closing(scan(store, args.folder, models, options)) as steps,
        ):
            warnings.simplefilter("ignore", SartriageWarning)
            for progress in steps:
                last = progress
                bar.update(progress)
    except KeyboardInterrupt:
        return True, last
    finally:
        bar.close()
    return False, last


def _candidate_line(hit: hits.Hit) -> str:
    where = "not georeferenced"
    if hit.lon is not None and hit.lat is not None:
        where = f"{hit.lat:.6f},{hit.lon:.6f}"
        if hit.error_radius_m is not None and math.isfinite(hit.error_radius_m):
            where += f" ±{hit.error_radius_m:.0f} m"
    pixel = f"({hit.x:.0f},{hit.y:.0f} px)"
    return (
        f"  candidate hit {hit.id}: score {hit.confidence:.2f}, {printable(hit.frame_name)} {pixel}, {where}"
    )


def _report(store: Store, args: argparse.Namespace, last: ScanProgress) -> None:
    flight_id = last.flight_id
    if not flight_id:
        return
    for summary in summarise(store, [flight_id]):
        print("\n".join(describe(summary)))
    if last.not_read:
        files = ", ".join(f"{n} {ending}" for ending, n in last.not_read)
        print(f"  not read: {files} files (the scan reads JPEG and TIFF photos; convert others to JPEG)")
    if last.note:
        print(f"  note: {last.note}")
    if last.tiles_resumed:
        resumed = words.count(last.tiles_resumed, "tile")
        print(f"  {resumed} of big rasters carried over from the interrupted scan")
    best = hits.list_hits(
        store, hits.HitFilter(statuses=("candidate",), flights=(str(flight_id),)), limit=BEST
    )
    for hit in best:
        print(_candidate_line(hit))
    db = args.db
    print(
        f"results are in {db}; next: `sartriage status --db {db}`, `sartriage hits list --db {db}`, "
        f"`sartriage export --db {db} --format geojson --out detections.geojson`"
    )
