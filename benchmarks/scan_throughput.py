"""Throughput of the whole scan next to the bare detector, and peak memory for 200 frames versus 20.

Efficiency: real frames (default: 3 ODM Seneca photos, 3240x2430) are copied to a temporary flight
folder. In the same run, on the same Detector (model, provider, threads), (a) the bare detector runs
``infer`` + ``merge`` on each frame's tiles, cut beforehand and not timed, and (b) ``scan()`` runs over
the folder into a fresh SQLite mission: discovery, hashing, decoding and cutting on reader threads,
inference, triage and one transaction per frame. Both count the frames' megapixels per second;
pipeline efficiency = scan / bare (target >= 0.9 on CPU). Bare and scan alternate over the repeats and
the best of each counts (other processes on a shared machine only ever slow a run down). Also printed:
the share of the scan's wall time the detector was busy (time inside ``infer``), which other load on the
machine does not move: what is left is the pipeline's own overhead.

Memory: a child process scans N frames made by copying real frames (default: HERIDAL 340x340 crops,
one tile each) with a changed trailing byte so every copy has its own content hash, samples its
resident memory after every frame and reports the peak during the scan; N = 20, then N = 200. Flat
means the 200-frame peak is within a few MiB of the 20-frame one.

    .venv/bin/python benchmarks/scan_throughput.py [--repeats 3] [--threads N] [--model M]
        [--frames a.jpg b.jpg ...] [--memory-frames DIR] [--skip-memory]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections import deque
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
SENECA = [SHARED / "geotagged" / "odm_seneca" / f"IMG_04{n}.jpg" for n in (46, 47, 48)]
HERIDAL = SHARED / "labelled" / "heridal_crops_340" / "images"


def _quiet() -> None:
    from sartriage.errors import SartriageWarning

    warnings.simplefilter("ignore", SartriageWarning)


def bare_seconds(detector, frames: list[Path]) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Seconds the detector alone takes on the frames' tiles, and their megapixels."""
    from sartriage.frames import open_frame

    seconds = megapixels = 0.0
    for path in frames:
        with open_frame(path) as frame:
            tiles = detector.plan(frame)
            batch = detector.cut(frame, tiles)
            megapixels += frame.width * frame.height / 1e6
        start = time.perf_counter()
        detector.merge(detector.infer(batch), tiles)
        seconds += time.perf_counter() - start
    return seconds, megapixels


def scan_seconds(detector, folder: Path, db: Path) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    """Seconds ``scan()`` takes over the folder into a new store, and the tiles it scored."""
    from sartriage.scan import scan
    from sartriage.store import open_store

    with open_store(db) as store:
        start = time.perf_counter()
        [last] = deque(scan(store, folder, detector), maxlen=1)
        seconds = time.perf_counter() - start
    assert last.frames_failed == 0, last
    return seconds, last.tiles


class InferTimer:
    """Wraps a detector's ``infer`` to add up the seconds spent in it (the scan calls it per chunk)."""

    def __init__(self, detector) -> None:  # type: ignore[no-untyped-def]
        self.seconds = 0.0
        self._infer = detector.infer
        detector.infer = self

    def __call__(self, batch):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        try:
            return self._infer(batch)
        finally:
            self.seconds += time.perf_counter() - start


def efficiency(args: argparse.Namespace) -> None:
    from sartriage.detect import Detector

    detector = Detector.open(args.model, device=args.device, threads=args.threads)
    timer = InferTimer(detector)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "flight"
        folder.mkdir()
        frames = [Path(shutil.copy(f, folder)) for f in args.frames]
        bare_rates, scan_rates, busy = [], [], []
        for repeat in range(args.repeats):
            seconds, megapixels = bare_seconds(detector, frames)
            bare_rates.append(megapixels / seconds)
            timer.seconds = 0.0
            seconds, tiles = scan_seconds(detector, folder, Path(tmp) / f"mission{repeat}.sqlite")
            scan_rates.append(megapixels / seconds)
            busy.append(timer.seconds / seconds)
            print(
                f"repeat {repeat + 1}: bare {bare_rates[-1]:.3f} MP/s, scan {scan_rates[-1]:.3f} MP/s, "
                f"detector busy {busy[-1]:.1%} of the scan ({len(frames)} frames, {megapixels:.1f} MP, "
                f"{tiles} tiles)",
                flush=True,
            )
    bare, scanned = max(bare_rates), max(scan_rates)
    model = detector.card.name or detector.card.file
    print(f"model {model} on {detector.provider}, threads {args.threads or 'all'}")
    print(f"bare detector: {bare:.3f} MP/s (best of {args.repeats})")
    print(f"sartriage scan: {scanned:.3f} MP/s (best of {args.repeats})")
    print(f"pipeline efficiency (scan / bare): {scanned / bare:.3f} (target >= 0.9)")
    print(f"detector busy during the scan (median): {statistics.median(busy):.1%}")


def make_frames(sources: list[Path], folder: Path, n: int) -> None:
    """``n`` frames copied round-robin from real ones, each with its own trailing bytes (own hash)."""
    folder.mkdir(parents=True)
    for i in range(n):
        source = sources[i % len(sources)]
        data = source.read_bytes() + i.to_bytes(4, "big")  # after the JPEG's end marker: pixels unchanged
        (folder / f"{source.stem}_{i:04d}{source.suffix}").write_bytes(data)


def child_peak(n: int, args: argparse.Namespace) -> dict[str, float]:
    command = [sys.executable, __file__, "--memory-child", str(n), "--memory-frames", str(args.memory_frames)]
    if args.model:
        command += ["--model", str(args.model)]
    if args.threads:
        command += ["--threads", str(args.threads)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def rss_mib() -> float:
    """Resident memory of this process now (Linux /proc; the benchmark is not the product)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def memory_child(n: int, args: argparse.Namespace) -> None:
    from sartriage.detect import Detector
    from sartriage.scan import scan
    from sartriage.store import open_store

    sources = sorted(p for p in args.memory_frames.iterdir() if p.suffix.lower() in (".jpg", ".jpeg"))[:20]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "flight"
        make_frames(sources, folder, n)
        detector = Detector.open(args.model, device=args.device, threads=args.threads)
        before = rss_mib()
        peak = before
        with (
            open_store(Path(tmp) / "mission.sqlite") as store,
            contextlib.closing(scan(store, folder, detector)) as steps,
        ):
            for progress in steps:  # RSS sampled after every frame: the high-water mark of the scan itself
                peak = max(peak, rss_mib())
                last = progress
    assert last.frames_done == n, last
    # (not getrusage's ru_maxrss: a child inherits the parent's high-water mark across fork and exec)
    print(json.dumps({"frames": n, "tiles": last.tiles, "peak_mib": peak, "before_scan_mib": before}))


def memory(args: argparse.Namespace) -> None:
    small, large = child_peak(20, args), child_peak(200, args)
    for run in (small, large):
        print(
            f"{run['frames']:>4} frames ({run['tiles']} tiles): "
            f"peak RSS during the scan {run['peak_mib']:.1f} MiB "
            f"({run['before_scan_mib']:.1f} MiB with the model loaded, before it)"
        )
    print(f"peak RSS 200 frames - 20 frames: {large['peak_mib'] - small['peak_mib']:+.1f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--frames", type=Path, nargs="+", default=SENECA, help="frames for the throughput runs"
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--model", type=Path, help="ONNX model or card (default: the shipped model)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int)
    parser.add_argument("--memory-frames", type=Path, default=HERIDAL, help="folder of real JPEGs to copy")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--skip-efficiency", action="store_true")
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    _quiet()
    if args.memory_child:
        memory_child(args.memory_child, args)
        return
    if not args.skip_efficiency:
        efficiency(args)
    if not args.skip_memory:
        memory(args)


if __name__ == "__main__":
    main()
