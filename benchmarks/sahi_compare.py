"""sartriage next to SAHI + Ultralytics, the tool users pick today: same model, slices, overlap and frames.

Both sides run ../shared/models/yolov8n_coco_int8_640.onnx over 640-px slices with 20 % overlap (no extra
full-frame pass) and merge across slices by intersection over the smaller box at 0.5. SAHI keeps person
boxes scoring >= the threshold (below 0.1 it would switch its merge to NMS/IoU); sartriage keeps them down
to its FLOOR (0.05) and counts those >= the threshold. Both are scored by sartriage's own rule (IoU >= 0.3
or centre inside the label).
SAHI lives in its own virtual environment, never in the product's: it runs as a subprocess.

    python3 -m venv ../sahivenv && ../sahivenv/bin/pip install sahi==0.12.8 ultralytics onnxruntime
    .venv/bin/python benchmarks/sahi_compare.py [--frames 2] [--sahi-python ../sahivenv/bin/python]

(or set SAHI_PYTHON). Prints seconds per frame and recall of both, and the ratios. The two merge rules
score a person seen by several slices differently (SAHI keeps the best slice's score, sartriage the mean
over the slices that saw the person whole), so one threshold is not one review load: the script also
prints sartriage's recall at SAHI's review load (as many boxes as SAHI kept).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from sartriage.detect import Detector
from sartriage.detect.detector import FLOOR
from sartriage.detect.inspect import draft_card
from sartriage.errors import SartriageWarning
from sartriage.evaluate import Tally, match, read_labels
from sartriage.frames import open_frame

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
MODEL = SHARED / "models" / "yolov8n_coco_int8_640.onnx"
DATA = SHARED / "data" / "labelled" / "unicamp_uav"
SLICE, OVERLAP, MATCH_IOS = 640, 0.2, 0.5

# Runs inside the SAHI venv: a JSON job on its first stdin line, then one image path per line; answers each
# with one JSON line (seconds and person boxes), so the two sides can take turns frame by frame.
SAHI_SIDE = r"""
import json, os, sys, time
os.environ.setdefault("YOLO_OFFLINE", "1")
answers = os.fdopen(os.dup(1), "w", buffering=1)
os.dup2(2, 1)  # whatever the libraries print goes to stderr; answers keep stdout to themselves
sys.stdout = sys.stderr
from sahi import AutoDetectionModel
from sahi.predict import get_sliced_prediction
job = json.loads(sys.stdin.readline())
model = AutoDetectionModel.from_pretrained(
    model_type="ultralytics", model_path=job["model"], confidence_threshold=job["threshold"], device="cpu"
)
def run(path):
    return get_sliced_prediction(
        path, model, slice_height=job["slice"], slice_width=job["slice"],
        overlap_height_ratio=job["overlap"], overlap_width_ratio=job["overlap"], perform_standard_pred=False,
        postprocess_type="GREEDYNMM", postprocess_match_metric="IOS", postprocess_match_threshold=job["ios"],
        verbose=0,
    )
for line in sys.stdin:
    start = time.perf_counter()
    result = run(line.strip())
    seconds = time.perf_counter() - start
    people = [p for p in result.object_prediction_list if p.category.id == 0]
    boxes = [[float(v) for v in p.bbox.to_xyxy()] + [float(p.score.value)] for p in people]
    print(json.dumps({"seconds": seconds, "boxes": boxes}), file=answers, flush=True)
"""


class SahiSide:
    """SAHI + Ultralytics in its own venv, asked for one frame at a time."""

    def __init__(self, python: str, threshold: float) -> None:
        job = {
            "model": str(MODEL),
            "threshold": threshold,
            "slice": SLICE,
            "overlap": OVERLAP,
            "ios": MATCH_IOS,
        }
        try:
            self.process = subprocess.Popen(
                [python, "-c", SAHI_SIDE],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                env=dict(os.environ, YOLO_OFFLINE="1"),
            )
        except OSError as exc:
            sys.exit(f"cannot start the SAHI venv's python {python}: {exc}; see this script's docstring")
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(job) + "\n")

    def detect(self, image: Path) -> tuple[float, np.ndarray]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"{image}\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            sys.exit("the SAHI side stopped (its error is above)")
        answer = json.loads(line)
        return answer["seconds"], np.asarray(answer["boxes"], np.float32).reshape(-1, 5)

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--frames", type=int, default=2, help="how many Unicamp frames (3840x2160)")
    parser.add_argument("--threshold", type=float, default=0.25, help="person score threshold for both")
    parser.add_argument("--threads", type=int, help="CPU threads for sartriage's session (default: all)")
    parser.add_argument("--sahi-python", default=os.environ.get("SAHI_PYTHON", "../sahivenv/bin/python"))
    args = parser.parse_args()

    labelled = read_labels(DATA / "images", DATA / "labels")[: args.frames]
    images = [item.image for item in labelled]
    with tempfile.TemporaryDirectory() as folder:
        card = draft_card(MODEL, Path(folder) / "yolov8n.card.toml")
        detector = Detector.open(card.path, device="cpu", threads=args.threads)

    ours, theirs = Tally(), Tally()
    ours_s: list[float] = []
    sahi_s: list[float] = []
    sahi = SahiSide(args.sahi_python, args.threshold)
    sahi.detect(images[0])  # warm-up on both sides: model load and first-run costs are not counted
    for index, item in enumerate(labelled):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SartriageWarning)
            with open_frame(item.image) as frame:
                if index == 0:
                    detector.detect(frame)
                start = time.perf_counter()
                found = detector.detect(frame).detections
                ours_s.append(time.perf_counter() - start)
                labels = item.in_pixels(frame.width, frame.height)
        seconds, other = sahi.detect(item.image)  # the two sides take turns, frame by frame
        sahi_s.append(seconds)
        found = found[found.scores >= FLOOR]
        ours.add(found.scores, match(found.xyxy, found.scores, labels), len(labels))
        theirs.add(other[:, 4], match(other[:, :4], other[:, 4], labels), len(labels))
        print(
            f"  {item.image.name}: sartriage {int((found.scores >= args.threshold).sum())} boxes in "
            f"{ours_s[-1]:.2f} s, "
            f"SAHI {int((other[:, 4] >= args.threshold).sum())} boxes in {seconds:.2f} s"
        )
    sahi.close()

    a, b = ours.at(args.threshold), theirs.at(args.threshold)
    fps_ours, fps_sahi = len(ours_s) / sum(ours_s), len(sahi_s) / sum(sahi_s)
    print(f"{len(images)} frames, {ours.labels} people, slices {SLICE} px, overlap {OVERLAP}", end="")
    print(f", threshold {args.threshold}")
    print(
        f"sartriage  : {fps_ours:.3f} frames/s  recall {a.recall:.3f}  precision {a.precision:.3f}"
        f"  boxes {a.boxes}"
    )
    print(
        f"SAHI+YOLO  : {fps_sahi:.3f} frames/s  recall {b.recall:.3f}  precision {b.precision:.3f}"
        f"  boxes {b.boxes}"
    )
    same_load = ours.at(ours.threshold_for(b.boxes))
    print(
        f"sartriage at SAHI's review load ({same_load.boxes} boxes, threshold {same_load.threshold:.3f}): "
        f"recall {same_load.recall:.3f}  precision {same_load.precision:.3f}"
    )
    recall_ratio = a.recall / b.recall if b.recall else float("inf")
    load_ratio = same_load.recall / b.recall if b.recall else float("inf")
    print(
        f"speed ratio (sartriage / SAHI) = {fps_ours / fps_sahi:.2f}  recall ratio = {recall_ratio:.2f} "
        f"at one threshold, {load_ratio:.2f} at one review load"
    )


if __name__ == "__main__":
    main()
