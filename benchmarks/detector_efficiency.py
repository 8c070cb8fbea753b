"""How much of the bare model speed the detector keeps.

For each of a few real frames, all its tiles go (a) through the Detector's infer + merge (preprocessing,
batching, decoding, seam merging) and (b) straight into the bare ONNX Runtime session, already as the float
tensor the model wants, asking for the same outputs, in the same batches, on the same provider and threads,
in the same run. Runs alternate (and swap which goes first) to even out a shared machine; the median
of the repeats counts.

    .venv/bin/python benchmarks/detector_efficiency.py [--frames 2] [--repeats 3] [--model M] [--threads N]

Prints tiles per second of both and efficiency = detector / bare (target >= 0.9).
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from pathlib import Path

from sartriage.detect import Detector
from sartriage.detect.detector import MAX_BATCH
from sartriage.errors import SartriageWarning
from sartriage.frames import open_frame

ROOT = Path(__file__).resolve().parents[1]
FRAMES = ROOT.parent / "shared" / "data" / "labelled" / "unicamp_uav" / "images"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--frames", type=int, default=2, help="how many Unicamp frames (3840x2160)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--model", type=Path, help="ONNX model or card (default: the shipped model)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int)
    args = parser.parse_args()

    detector = Detector.open(args.model, device=args.device, threads=args.threads)
    session = detector.session
    bare_run = session.runtime.run  # the onnxruntime.InferenceSession itself
    feed = session.input_name
    step = MAX_BATCH.get(detector.provider, 4) if session.dynamic_batch else 1
    paths = sorted(FRAMES.glob("*.jpg"))[: args.frames]
    print(f"model {detector.card.file} on {detector.provider}, batch {step}, frames {len(paths)}")

    ours: list[float] = []
    bare: list[float] = []
    n_tiles = 0
    for path in paths:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SartriageWarning)
            with open_frame(path) as frame:
                tiles = detector.plan(frame)
                batch = detector.cut(frame, tiles)
        tensors = [detector.adapter.preprocess(batch[i : i + step]) for i in range(0, len(batch), step)]
        n_tiles += len(tiles)
        detector.merge(detector.infer(batch[:step]), tiles[:step])  # warm-up
        for repeat in range(args.repeats):
            for side in (
                ("bare", "ours") if repeat % 2 == 0 else ("ours", "bare")
            ):  # neither always goes first
                start = time.perf_counter()
                if side == "bare":
                    for tensor in tensors:
                        bare_run(detector.outputs, {feed: tensor})
                else:
                    detector.merge(detector.infer(batch), tiles)
                (bare if side == "bare" else ours).append((time.perf_counter() - start) / len(tiles))
        print(f"  {path.name}: {len(tiles)} tiles")
    t_ours, t_bare = statistics.median(ours), statistics.median(bare)
    print(f"bare session: {1 / t_bare:.2f} tiles/s ({t_bare * 1000:.1f} ms/tile)")
    print(
        f"detector    : {1 / t_ours:.2f} tiles/s ({t_ours * 1000:.1f} ms/tile, preprocess + decode + merge)"
    )
    print(
        f"efficiency = detector / bare = {t_bare / t_ours:.3f} over {n_tiles} tiles x {args.repeats} repeats"
    )


if __name__ == "__main__":
    main()
