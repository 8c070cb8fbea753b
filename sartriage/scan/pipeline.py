"""The scan as a generator of progress: find, claim, read ahead, detect, triage, commit frame by frame.

Pulling the generator drives the scan; not pulling pauses it (the readers fill
their bounded queue and wait); closing it stops it and gives unfinished claims
back. Reader threads open frames and cut tiles ahead of the detector, so
inference never waits for the disk. Tiles travel in chunks of at most
``CHUNK_TILES``; at most ``queue_chunks`` chunks wait, plus one open frame and
chunk per reader, so memory stays bounded whatever the folder or frame size.
"""

from __future__ import annotations

import logging
import queue
import socket
import threading
import time
from collections import Counter
from collections.abc import Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.exc import IntegrityError

from sartriage.detect import Detector, Tile
from sartriage.detect.choice import Models
from sartriage.detect.detections import Detections
from sartriage.errors import ClaimLost, FrameError, StoreError
from sartriage.frames import Frame, Georef, NotGeoreferenced, georef_record, open_frame
from sartriage.frames.geotiff import check_dem
from sartriage.frames.imagery import Imagery
from sartriage.scan import claims
from sartriage.scan.claims import Claim, NewFrame
from sartriage.scan.discover import content_hash, find_frames
from sartriage.scan.parts import PART_MIN_CHUNKS, load_part, plan_key, save_part, stored_parts
from sartriage.scan.record import FrameFacts, Ground, write_done, write_failed, write_scan_settings
from sartriage.scan.triage import CLEARED, DEFAULT_QUALITY_SHARE, FLAGGED, REVIEW, TriageRules, triage_tiles
from sartriage.scan.watch import StableFiles
from sartriage.store import Store
from sartriage.store.photos import keep_photo, keep_photos_in

log = logging.getLogger(__name__)

FINDING, SCANNING, WATCHING, FINISHED = "finding", "scanning", "watching", "finished"
# Tiles cut at once: a 20,000 px orthomosaic is read and detected chunk by chunk, so memory stays bounded by
# frame size as well as by folder size (32 tiles of 512 x 512 RGB: 25 MB).
CHUNK_TILES = 32
SHUTDOWN_WAIT_S = 15.0


def default_worker_id() -> str:
    """This machine's name: a worker restarted on the same machine takes its old claims back at once."""
    return socket.gethostname() or "worker"


@dataclass(frozen=True)
class ScanOptions:
    flight: str | None = None  # the flight's name; default: the folder's name
    rules: TriageRules | None = None  # for every model; default: each model card's thresholds and overrides
    review: float | None = None  # overrides the cards' review threshold
    flag: float | None = None  # overrides the cards' flag threshold
    quality_share: float = DEFAULT_QUALITY_SHARE  # cleared tiles sent to review at random, to measure misses
    worker_id: str = field(default_factory=default_worker_id)
    readers: int = 2  # threads that open frames and cut tiles ahead of the detector
    queue_chunks: int = 2  # chunks of cut tiles waiting for the detector
    claim_timeout_s: float = 300.0  # a claim not refreshed for this long belongs to a dead worker
    watch: bool = False  # keep taking new files as they appear, until the generator is closed
    poll_s: float = 2.0  # how often --watch (and a worker waiting for others' claims) looks again
    retry_failed: bool = False  # put the flight's failed frames back in the queue first
    follow_links: bool = False  # take frames behind links that lead outside the folder
    dem: Path | None = None  # terrain GeoTIFF every photo's rays meet; each frame's record names it
    keep_photos: Path | None = None  # the mission keeps its photo copies here from now on (store.photos)

    def __post_init__(self) -> None:
        if self.readers < 1 or self.queue_chunks < 1:
            raise ValueError("a scan needs at least one reader and a queue of at least one frame")
        if self.claim_timeout_s <= 0 or self.poll_s <= 0:
            raise ValueError("claim timeout and poll interval must be positive")
        if not self.worker_id.strip():
            raise ValueError("the worker id must not be empty")


@dataclass(frozen=True)
class ScanProgress:
    """Where a scan stands. Frame counts are the flight's (every worker's); the rest is this run's."""

    flight: str
    flight_id: int
    phase: str  # finding | scanning | watching | finished
    frames_total: int
    frames_done: int
    frames_failed: int
    files_seen: int = 0  # files looked at while finding
    duplicates: int = 0  # files skipped because the mission already holds their content
    tiles: int = 0
    tiles_flagged: int = 0
    tiles_review: int = 0
    detections: int = 0
    tiles_resumed: int = 0  # tiles of big frames whose detections an interrupted scan had stored
    tiles_per_s: float = 0.0
    megapixels_per_s: float = 0.0
    eta_s: float | None = None
    frame: Path | None = None  # the frame this update is about
    error: str | None = None  # why that frame failed
    not_read: tuple[tuple[str, int], ...] = ()  # other photos and videos in the folder, by file ending
    note: str | None = None  # the flight was begun with other models or DEM (claims.resumed_differently)

    @property
    def frames_pending(self) -> int:
        return max(0, self.frames_total - self.frames_done - self.frames_failed)


@dataclass(frozen=True)
class _Cut:
    """Up to ``CHUNK_TILES`` tiles of a frame cut on a reader thread, waiting for the detector. The last
    chunk of a frame carries what the frame's row needs."""

    claim: Claim
    tiles: tuple[Tile, ...]
    batch: np.ndarray | None  # None: the detector's output for these tiles is stored (scan.parts)
    last: bool
    detector: Detector
    imagery: Imagery
    facts: FrameFacts | None = None
    georef: Georef | NotGeoreferenced | None = None
    start: int = 0  # the chunk's first tile in the frame's plan
    key: str | None = None  # set where the chunk's output is to be stored (a frame of many chunks)


@dataclass
class _Partial:
    """A frame whose chunks are coming through the detector."""

    tiles: list[Tile] = field(default_factory=list)
    found: list[Detections] = field(default_factory=list)


@dataclass(frozen=True)
class _Unreadable:
    claim: Claim
    reason: str


@dataclass(frozen=True)
class _ReaderCrashed:
    error: BaseException


_READER_DONE = object()


def facts_of(frame: Frame) -> FrameFacts:
    """The frame row's values: size, metadata, the ground centre (or GPS), footprint, georeferencing note."""
    georef = frame.georef
    lon, lat = frame.meta.lon, frame.meta.lat
    footprint = None
    note = "; ".join(frame.warnings) or None
    captured_at, captured_local = frame.meta.capture_time()
    if isinstance(georef, NotGeoreferenced):
        note = georef.reason
    else:
        clon, clat, _ = georef.pixel_to_ground([frame.width / 2], [frame.height / 2])
        if np.isfinite(clon[0]) and np.isfinite(clat[0]):
            lon, lat = float(clon[0]), float(clat[0])
        corners = [[float(x), float(y)] for x, y in georef.footprint()]
        footprint = corners if corners and np.isfinite(corners).all() else None
    return FrameFacts(
        width=frame.width,
        height=frame.height,
        meta=frame.meta.to_dict(),
        captured_at=captured_at,
        captured_local=captured_local,
        lon=lon,
        lat=lat,
        gsd_m=frame.gsd_m,
        footprint=footprint,
        georef_note=note,
        georef=georef_record(georef),
    )


def ground_of(georef: Georef | NotGeoreferenced, detections: Detections, path: Path) -> Ground:
    """Ground positions of the detections' box centres; unknown where the frame is not georeferenced."""
    if not len(detections) or isinstance(georef, NotGeoreferenced):
        return Ground.unknown(len(detections))
    centres = detections.centres
    try:
        lon, lat, radius = georef.pixel_to_ground(centres[:, 0], centres[:, 1])
    except Exception as exc:  # a frame whose positions fail keeps its detections
        log.warning("%s: detections left without ground positions (%s)", path, exc)
        return Ground.unknown(len(detections))
    return Ground(np.asarray(lon, float), np.asarray(lat, float), np.asarray(radius, float))


def scan(
    store: Store, folder: Path, detector: Detector | Models, options: ScanOptions | None = None
) -> Generator[ScanProgress, None, None]:
    """Scan ``folder`` into the store's mission, yielding progress after every frame (see module doc).

    ``detector`` scans every frame; ``Models`` choose one per frame by its kind of imagery."""
    models = detector if isinstance(detector, Models) else Models.single(detector)
    return _ScanRun(store, Path(folder), models, options or ScanOptions()).progress()


class _ScanRun:
    def __init__(self, store: Store, folder: Path, models: Models, options: ScanOptions) -> None:
        if not folder.is_dir():
            raise FrameError(f"{folder}: not a folder; give the folder the drone photos were copied to")
        if options.dem is not None:
            check_dem(options.dem)
            options = replace(options, dem=Path(options.dem).resolve())
        if options.keep_photos is not None:
            keep_photos_in(store, options.keep_photos)
        self.store = store
        self.folder = folder.resolve()
        self.models = models
        self.options = options
        self.rules = self.rules_for(models.fallback)
        self.model = self.name_of(models.fallback)
        self.flight = options.flight or self.folder.name
        self.flight_id = 0
        self.stop = threading.Event()
        self.queue: queue.Queue[Any] = queue.Queue(maxsize=options.queue_chunks)
        self.threads: list[threading.Thread] = []
        self.counts: dict[str, Any] = {
            "files_seen": 0,
            "duplicates": 0,
            "tiles": 0,
            "tiles_flagged": 0,
            "tiles_review": 0,
            "detections": 0,
            "tiles_resumed": 0,
        }
        self.not_read: Counter[str] = Counter()
        self.partial: dict[int, _Partial] = {}  # frame id -> chunks detected so far
        self.frames_finished = 0
        self.note: str | None = None
        self.inferred = 0  # tiles through the detector in this run
        self.pixels = 0
        self.started = 0.0

    def rules_for(self, detector: Detector) -> TriageRules:
        opts = self.options
        return opts.rules or TriageRules.from_card(detector.card, opts.review, opts.flag, opts.quality_share)

    @staticmethod
    def name_of(detector: Detector) -> str:
        return detector.card.name or detector.card.file

    # ── progress ────────────────────────────────────────────────────────────
    def _progress(self, phase: str, frame: Path | None = None, error: str | None = None) -> ScanProgress:
        status = claims.status_counts(self.store, self.flight_id)
        total = sum(status.values())
        elapsed = time.monotonic() - self.started if self.started else 0.0
        eta = None
        if self.frames_finished and elapsed > 0:
            eta = (status["pending"] + status["claimed"]) * elapsed / self.frames_finished
        return ScanProgress(
            flight=self.flight,
            flight_id=self.flight_id,
            phase=phase,
            frames_total=total,
            frames_done=status["done"],
            frames_failed=status["failed"],
            tiles_per_s=self.inferred / elapsed if elapsed > 0 else 0.0,
            megapixels_per_s=self.pixels / 1e6 / elapsed if elapsed > 0 else 0.0,
            eta_s=eta,
            frame=frame,
            error=error,
            not_read=tuple(sorted(self.not_read.items())),
            note=self.note,
            **self.counts,
        )

    def progress(self) -> Generator[ScanProgress, None, None]:
        self.flight_id = claims.ensure_flight(self.store, self.flight, self.folder)
        write_scan_settings(self.store, self.model, self.rules)
        names = {self.name_of(d) for d in self.models.detectors}
        self.note = claims.resumed_differently(self.store, self.flight_id, names, self.options.dem)
        if self.note:
            log.warning("%s: %s", self.flight, self.note)
        if self.store.is_sqlite:
            claims.release_all(self.store, self.flight_id)  # one worker per SQLite store: old claims are dead
        else:
            claims.release_worker(self.store, self.options.worker_id)
        if self.options.retry_failed:
            log.info(
                "%d failed frame(s) put back in the queue", claims.retry_failed(self.store, self.flight_id)
            )
        stable = StableFiles() if self.options.watch else None
        if stable is None:
            yield from self._find(find_frames(self.folder, self.options.follow_links, self.not_read))
        else:
            yield from self._find(stable.poll_folder(self.folder, self.options.follow_links))
        self.started = time.monotonic()
        try:
            self._start_threads()
            yield from self._consume(stable)
        finally:
            self._shutdown()
        yield self._progress(FINISHED)

    # ── finding ─────────────────────────────────────────────────────────────
    def _find(self, paths: Iterable[Path]) -> Iterator[ScanProgress]:
        known = claims.known_files(self.store, self.flight_id)
        batch: list[NewFrame] = []
        for path in paths:
            self.counts["files_seen"] += 1
            try:
                size = path.stat().st_size
            except OSError as exc:
                log.warning("%s: cannot be read (%s); left out", path, exc.strerror)
                continue
            old = known.get(str(path))
            if old is not None and old.size_bytes == size:
                continue
            try:
                batch.append(NewFrame(path, content_hash(path), size))
            except FrameError as exc:
                log.warning("%s; left out", exc)
                continue
            if len(batch) >= 16:
                self._register(batch, known)
                batch = []
            yield self._progress(FINDING, frame=path)
        self._register(batch, known)

    def _register(self, batch: list[NewFrame], known: Mapping[str, claims.KnownFile]) -> None:
        if not batch:
            return
        registered = claims.register(self.store, self.flight_id, batch, known)
        for path, holder in registered.duplicates:
            log.info("%s: same content as %s, already in the mission; skipped", path, holder)
        self.counts["duplicates"] += len(registered.duplicates)

    # ── reading ahead ───────────────────────────────────────────────────────
    def _start_threads(self) -> None:
        for i in range(self.options.readers):
            thread = threading.Thread(target=self._reader, name=f"sartriage-reader-{i}", daemon=True)
            thread.start()
            self.threads.append(thread)
        beat = threading.Thread(target=self._heartbeat, name="sartriage-heartbeat", daemon=True)
        beat.start()
        self.threads.append(beat)

    def _heartbeat(self) -> None:
        interval = max(0.5, self.options.claim_timeout_s / 4)
        while not self.stop.wait(interval):
            try:
                claims.heartbeat(self.store, self.options.worker_id)
            except StoreError as exc:
                log.warning("could not refresh this worker's claims: %s", exc)

    def _put(self, item: object) -> bool:
        while not self.stop.is_set():
            try:
                self.queue.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def _next_claim(self) -> Claim | None:
        """The next frame to read; waits while other workers hold frames that may come back (or --watch)."""
        opts = self.options
        while not self.stop.is_set():
            claim = claims.claim_next(self.store, self.flight_id, opts.worker_id)
            if claim is not None:
                return claim
            if claims.release_stale(self.store, opts.claim_timeout_s):
                continue
            if not opts.watch and not claims.claimed_by_others(self.store, self.flight_id, opts.worker_id):
                return None
            self.stop.wait(opts.poll_s)
        return None

    def _reader(self) -> None:
        try:
            while (claim := self._next_claim()) is not None:
                if not self._read(claim):
                    return
        except BaseException as exc:  # reported to the consumer, which raises it on the scan's thread
            self._put(_ReaderCrashed(exc))
        finally:
            self._put(_READER_DONE)

    def _read(self, claim: Claim) -> bool:
        """Queue the frame's tiles chunk by chunk (or why it cannot be read); False once the scan stops."""
        try:
            with open_frame(claim.path, dem=self.options.dem) as frame:
                imagery = frame.imagery
                detector = self.models.for_kind(imagery.kind)
                tiles = tuple(detector.plan(frame))
                starts = range(0, len(tiles), CHUNK_TILES)
                in_parts = len(starts) >= PART_MIN_CHUNKS
                stored = stored_parts(self.store, claim.frame_id) if in_parts else {}
                for start in starts:
                    part = tiles[start : start + CHUNK_TILES]
                    if start + CHUNK_TILES < len(tiles):
                        key = plan_key(self.name_of(detector), part) if in_parts else None
                        done = key is not None and stored.get(start) == key
                        batch = None if done else detector.cut(frame, part)
                        chunk = _Cut(claim, part, batch, False, detector, imagery, start=start, key=key)
                    else:
                        batch, facts = detector.cut(frame, part), facts_of(frame)
                        chunk = _Cut(claim, part, batch, True, detector, imagery, facts, frame.georef, start)
                    if not self._put(chunk):
                        return False
            return True
        except FrameError as exc:
            return self._put(_Unreadable(claim, str(exc)))
        except Exception as exc:  # no input file stops the scan: whatever reading it raised fails that frame
            log.debug("reading %s failed", claim.path, exc_info=True)
            return self._put(
                _Unreadable(claim, f"{claim.path}: cannot be read ({type(exc).__name__}: {exc})")
            )

    # ── detecting and committing ────────────────────────────────────────────
    def _consume(self, stable: StableFiles | None) -> Iterator[ScanProgress]:
        running = self.options.readers
        last_look = time.monotonic()
        while running:
            if stable is not None and time.monotonic() - last_look >= self.options.poll_s:
                last_look = time.monotonic()
                yield from self._find(stable.poll_folder(self.folder, self.options.follow_links))
            try:
                item = self.queue.get(timeout=self.options.poll_s)
            except queue.Empty:
                if stable is not None:
                    yield self._progress(WATCHING)
                continue
            if item is _READER_DONE:
                running -= 1
            elif isinstance(item, _ReaderCrashed):
                raise item.error
            elif isinstance(item, _Unreadable):
                self.partial.pop(item.claim.frame_id, None)  # chunks read before the damage are dropped
                yield self._fail(item)
            else:
                yield self._detect(item)

    def _fail(self, item: _Unreadable) -> ScanProgress:
        try:
            with self.store.begin() as conn:
                write_failed(conn, item.claim, self.options.worker_id, item.reason)
        except ClaimLost as exc:
            log.warning("%s", exc)
            return self._progress(SCANNING, frame=item.claim.path)
        log.info("%s", item.reason)
        self.frames_finished += 1
        return self._progress(SCANNING, frame=item.claim.path, error=item.reason)

    def _detect(self, chunk: _Cut) -> ScanProgress:
        partial = self.partial.setdefault(chunk.claim.frame_id, _Partial())
        partial.tiles.extend(chunk.tiles)
        if chunk.batch is None:
            partial.found.extend(load_part(self.store, chunk.claim.frame_id, chunk.start))
            self.counts["tiles_resumed"] += len(chunk.tiles)
        else:
            found = chunk.detector.infer(chunk.batch)
            partial.found.extend(found)
            self.inferred += len(chunk.tiles)
            if chunk.key is not None:
                save_part(self.store, chunk.claim.frame_id, chunk.start, chunk.key, found)
        if not chunk.last:
            return self._progress(SCANNING)
        del self.partial[chunk.claim.frame_id]
        assert chunk.facts is not None and chunk.georef is not None
        return self._commit(chunk, partial)

    def _commit(self, chunk: _Cut, partial: _Partial) -> ScanProgress:
        claim, detector, imagery = chunk.claim, chunk.detector, chunk.imagery
        assert chunk.facts is not None and chunk.georef is not None
        found = detector.merge(partial.found, partial.tiles)
        ground = ground_of(chunk.georef, found.stored()[0], claim.path)
        may_clear = detector.card.fit_for(imagery.kind)
        note = None
        if not may_clear:
            log.info("%s: %s imagery (%s)", claim.path, imagery.kind, imagery.reason)
            note = (
                f"{imagery.kind} imagery: the model {self.name_of(detector)} is not fit for it (its card), "
                "so no tile was cleared; all went to review"
            )
        facts = replace(chunk.facts, imagery=imagery.kind, triage_note=note)
        triage = triage_tiles(
            found.tile_scores, found.tiles, claim.content_hash, self.rules_for(detector), found.clue_scores,
            may_clear=may_clear,
        )  # fmt: skip
        try:
            with self.store.begin() as conn:
                write_done(
                    conn, claim, self.options.worker_id, facts, found, ground, triage, self.name_of(detector)
                )
        except (ClaimLost, IntegrityError) as exc:
            log.warning("%s: another worker finished this frame first; dropped (%s)", claim.path, exc)
            return self._progress(SCANNING, frame=claim.path)
        if (triage.states != CLEARED).any():  # volunteers or hit cards will need these pixels
            keep_photo(self.store, claim.path, claim.content_hash)
        self.frames_finished += 1
        self.pixels += facts.width * facts.height
        self.counts["tiles"] += len(found.tiles)
        self.counts["tiles_flagged"] += int((triage.states == FLAGGED).sum())
        self.counts["tiles_review"] += int((triage.states == REVIEW).sum())
        self.counts["detections"] += len(found.detections)
        return self._progress(SCANNING, frame=claim.path)

    def _shutdown(self) -> None:
        self.stop.set()
        # readers stop at their next check; one stuck in a slow disk or a locked store must not keep a
        # Ctrl-C from ending the scan (they are daemon threads; their claims time out)
        deadline = time.monotonic() + SHUTDOWN_WAIT_S
        for thread in self.threads:
            while thread.is_alive() and time.monotonic() < deadline:
                self._drain()
                thread.join(timeout=0.1)
            if thread.is_alive():
                log.warning("%s did not stop within %g s; left behind", thread.name, SHUTDOWN_WAIT_S)
        self._drain()
        try:
            released = claims.release_worker(self.store, self.options.worker_id)
        except StoreError as exc:
            log.warning("claims left for the timeout to release: %s", exc)
            return
        if released:
            log.info("%d frame(s) read ahead but not finished went back to the queue", released)

    def _drain(self) -> None:
        while True:
            try:
                self.queue.get_nowait()
            except queue.Empty:
                return
