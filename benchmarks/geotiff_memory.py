"""Memory while scanning a large orthomosaic window by window.

Builds a GeoTIFF of at least 20,000 x 20,000 px from a real orthophoto (the shared NEON tile,
repeated), written block by block (tiled, JPEG-compressed, so the disk stays modest) in a
temporary folder, then reads every window of it through ``open_frame`` as the scan would,
in a fresh process, and prints that process's peak resident memory next to the raster's
uncompressed size.

    .venv/bin/python benchmarks/geotiff_memory.py [--size 20000] [--window 1024] [--source TIF]
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from rasterio.windows import Window as RioWindow

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT.parent / "shared" / "data" / "geotiff" / "deepforest_neon" / "OSBS_029.tif"
BLOCK = 512


def _peak_rss_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / 1024 if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB on Linux


def build(source: Path, target: Path, size: int) -> None:
    """A ``size`` x ``size`` GeoTIFF tiled up from ``source``, written one block at a time."""
    with rasterio.open(source) as src:
        tile = src.read([1, 2, 3])
        transform, crs = src.transform, src.crs
    _, th, tw = tile.shape
    profile = {
        "driver": "GTiff",
        "width": size,
        "height": size,
        "count": 3,
        "dtype": "uint8",
        "crs": crs,
        "transform": Affine(transform.a, 0, transform.c, 0, transform.e, transform.f),
        "tiled": True,
        "blockxsize": BLOCK,
        "blockysize": BLOCK,
        "compress": "jpeg",
        "photometric": "ycbcr",
        "jpeg_quality": 90,
        "BIGTIFF": "IF_SAFER",
    }
    with rasterio.open(target, "w", **profile) as dst:
        for row in range(0, size, BLOCK):
            rows = np.arange(row, min(row + BLOCK, size)) % th
            for col in range(0, size, BLOCK):
                cols = np.arange(col, min(col + BLOCK, size)) % tw
                block = tile[:, rows[:, None], cols[None, :]]
                dst.write(block, window=RioWindow(col, row, len(cols), len(rows)))


def scan(path: Path, window: int, queue: multiprocessing.Queue) -> None:
    """Read every window of the mosaic as the scan does; report peak RSS (this process only)."""
    from sartriage.frames import Window, open_frame

    baseline = _peak_rss_mib()
    started = time.perf_counter()
    windows = 0
    checksum = 0
    with open_frame(path) as frame:
        for y in range(0, frame.height, window):
            for x in range(0, frame.width, window):
                pixels = frame.read(Window(x, y, min(window, frame.width - x), min(window, frame.height - y)))
                checksum += int(pixels[::97, ::97].sum())
                windows += 1
        size = (frame.width, frame.height)
    queue.put((baseline, _peak_rss_mib(), windows, time.perf_counter() - started, size, checksum))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--size", type=int, default=20_000, help="mosaic width and height in pixels (>= 20000)"
    )
    parser.add_argument("--window", type=int, default=1024, help="window side read at a time")
    parser.add_argument("--source", type=Path, default=SOURCE, help="real GeoTIFF to tile up")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="sartriage-mosaic-") as folder:
        target = Path(folder) / "mosaic.tif"
        started = time.perf_counter()
        build(args.source, target, args.size)
        built = time.perf_counter() - started
        uncompressed = args.size * args.size * 3
        print(
            f"built {args.size} x {args.size} px RGB GeoTIFF from {args.source.name} in {built:.0f} s: "
            f"{uncompressed / 2**30:.2f} GiB uncompressed, {target.stat().st_size / 2**20:.0f} MiB on disk"
        )
        context = multiprocessing.get_context("spawn")
        queue = context.Queue()
        reader = context.Process(target=scan, args=(target, args.window, queue))
        reader.start()
        baseline, peak, windows, seconds, size, _ = queue.get()
        reader.join()
    print(f"read {windows} windows of {args.window} px covering {size[0]} x {size[1]} px in {seconds:.0f} s")
    print(
        f"peak RSS of the reading process: {peak:.0f} MiB (after imports, before reading: {baseline:.0f} MiB)"
    )
    print(
        f"raster uncompressed: {uncompressed / 2**20:.0f} MiB; "
        f"peak RSS is {peak / (uncompressed / 2**20):.1%} of it"
    )


if __name__ == "__main__":
    main()
