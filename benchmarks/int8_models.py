"""Would int8 versions of the shipped models pay on a laptop CPU? Speed and AP, float against int8.

    .venv/bin/python benchmarks/int8_models.py [--out DIR]     # about 5 minutes on 2 cores

Each shipped model is quantised with ONNX Runtime's static QDQ quantiser (per-channel int8 weights, uint8
activations), calibrated on tiles cut by the model's own planner from real aerial frames that are not dev
sets (the OpenDroneMap and DeepForest frames in ../shared/data/geotagged for the RGB model; the training
pack's thermal frames for the thermal one). Two recipes: every Conv, and the backbone only (the CenterNet
head's convolutions and its in-graph peak picking stay float). Each int8 model is scored like the float one
(`sartriage eval` rules) on the dev sets of its imagery, and timed per image in the same run. The issue's
rule: ship int8 next to float, chosen on CPU, only where the AP loss is at most 0.01. The quantised files
are written under --out (default: a temporary folder) and never into the package.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import onnx
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
from onnxruntime.quantization.shape_inference import quant_pre_process

from sartriage.detect import Detector, find_card
from sartriage.detect.card import ModelCard, card_path_for, sha256_of
from sartriage.detect.choice import DEFAULT_MODELS
from sartriage.errors import SartriageWarning
from sartriage.evaluate import Tally, evaluate, read_labels
from sartriage.frames import open_frame

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
CALIBRATION = {
    "rgb": sorted((DATA / "geotagged").glob("odm_*/*.jpg"))
    + sorted((DATA / "geotagged").glob("deepforest_dji/*.JPG")),
    "thermal": sorted((DATA / "train" / "hit_uav" / "images").glob("*.jpg"))[::150],
}
DEV = {
    "rgb": [
        ("unicamp", DATA / "labelled/unicamp_uav/images", DATA / "labelled/unicamp_uav/labels", None),
        (
            "heridal",
            DATA / "labelled/heridal_crops_340/images",
            DATA / "labelled/heridal_crops_340/labels",
            "voc",
        ),
    ],
    "thermal": [
        (
            "hit_uav",
            DATA / "labelled/hit_uav_thermal/images",
            DATA / "labelled/hit_uav_thermal/annotations.json",
            None,
        ),
    ],
}
TILES_PER_FRAME = 6


class Tiles(CalibrationDataReader):
    def __init__(self, feeds: list[dict[str, np.ndarray]]) -> None:
        self.feeds = iter(feeds)

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self.feeds, None)


def calibration(detector: Detector, frames: list[Path]) -> list[dict[str, np.ndarray]]:
    rng = np.random.default_rng(0)
    feeds = []
    for path in frames:
        with open_frame(path) as frame:
            tiles = detector.plan(frame)
            chosen = rng.choice(len(tiles), size=min(TILES_PER_FRAME, len(tiles)), replace=False)
            batch = detector.cut(frame, [tiles[i] for i in chosen])
        feeds.extend({detector.session.input_name: detector.adapter.preprocess(t[None])} for t in batch)
    return feeds


def quantised(card: ModelCard, kind: str, out: Path, head_float: bool) -> ModelCard:
    detector = Detector.open(card, device="cpu")
    prepared = out.with_suffix(".pre.onnx")
    quant_pre_process(str(card.model_path), str(prepared), skip_symbolic_shape=True)
    keep_float = [n.name for n in onnx.load(str(prepared)).graph.node if head_float and "Head" in n.name]
    quantize_static(
        str(prepared), str(out), Tiles(calibration(detector, CALIBRATION[kind])),
        quant_format=QuantFormat.QDQ, per_channel=True, activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8, op_types_to_quantize=["Conv"], nodes_to_exclude=keep_float,
    )  # fmt: skip
    quantised_card = replace(card, path=card_path_for(out), file=out.name, sha256=sha256_of(out))
    quantised_card.write()
    return quantised_card


def scored(card: ModelCard, images: Path, labels: Path, fmt: str | None) -> tuple[float, float]:
    """AP and seconds per image."""
    detector = Detector.open(card, device="cpu")
    tally = Tally()
    started = time.perf_counter()
    labelled = read_labels(images, labels, fmt)
    for _ in evaluate(detector, labelled, open_frame, tally):
        pass
    return tally.average_precision(), (time.perf_counter() - started) / max(len(labelled), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="where the int8 models go (default: a temporary folder)")
    args = parser.parse_args()
    warnings.simplefilter("ignore", SartriageWarning)
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        for kind, path in DEFAULT_MODELS.items():
            float_card = find_card(path)
            print(f"{kind}: {float_card.name or float_card.file}")
            variants = [("float", float_card)]
            for recipe, head_float in (("int8 all convs", False), ("int8 backbone", True)):
                target = out / f"{path.stem}.{recipe.replace(' ', '_')}.onnx"
                variants.append((recipe, quantised(float_card, kind, target, head_float)))
            for name, images, labels, fmt in DEV[kind]:
                base_ap, base_s = scored(float_card, images, labels, fmt)
                print(f"  {name}: float ap={base_ap:.3f} {base_s:.2f} s/image")
                for recipe, card in variants[1:]:
                    ap, seconds = scored(card, images, labels, fmt)
                    verdict = "within the 0.01 the issue allows" if base_ap - ap <= 0.01 else "too much lost"
                    size = card.model_path.stat().st_size / 1e6
                    print(
                        f"    {recipe}: ap={ap:.3f} (change {ap - base_ap:+.3f}, {verdict}), "
                        f"{seconds:.2f} s/image = {base_s / seconds:.2f}x the float speed, {size:.1f} MB"
                    )


if __name__ == "__main__":
    main()
