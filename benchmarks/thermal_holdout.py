"""A fair figure for the thermal model: train without one altitude, score on that altitude's dev frames.

    .venv/bin/python benchmarks/thermal_holdout.py [--altitude 60]     # about 10 minutes on 2 cores

HIT-UAV's own split puts near-identical frames of one flight in the training pack and in the dev set
(../shared/data/train/README.md), so the dev figures of a model trained on the whole pack flatter it. This
reuses the cells of the shipped model's run folder (runs/thermal_person_centernet, made by the README's
rebuild command): it drops every cell of the pack's frames taken at ``--altitude``, trains the same head
(same epochs, seed, and the hard negatives of the other frames), and scores it, the shipped model and the
COCO model on the dev frames of that altitude at the shipped card's review and flag thresholds.
Caveat: the hard negatives were chosen by the shipped run's head, which saw the held-out altitude; the
negatives themselves all come from other frames.
"""

from __future__ import annotations

import argparse
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import onnx

from sartriage.detect import Detector, find_card
from sartriage.detect.card import sha256_of
from sartriage.errors import SartriageWarning
from sartriage.evaluate import Tally, evaluate, read_labels
from sartriage.evaluate.labels import ImageLabels
from sartriage.frames import open_frame
from sartriage.models import THERMAL_PERSON, shipped
from sartriage.train.cells import Cells
from sartriage.train.graph import detector_model
from sartriage.train.head import Head, Trainer
from sartriage.train.run import TrainOptions, load_samples

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
SHIPPED = shipped(THERMAL_PERSON)
RUN = ROOT / "runs" / "thermal_person_centernet"
DEV = SHARED / "labelled" / "hit_uav_thermal"


def altitude(name: str) -> str:
    parts = name.split("_")
    return parts[1] if len(parts) > 2 else ""


def held_out_model(height: str, out: Path) -> Path:
    reference = find_card(SHIPPED)
    options = TrainOptions(
        data=(SHARED / "train" / "hit_uav", SHARED / "train" / "birdsai"), out=out, run_dir=RUN,
        epochs=int(reference.training["epochs"]), seed=int(reference.training["seed"]),
    )  # fmt: skip
    train_set = [s for s in load_samples(options) if s.split == "train"]
    held = np.array([i for i, s in enumerate(train_set) if altitude(s.image.name) == height])
    shards = sorted((RUN / "cells").glob("shard_*.npz")), sorted((RUN / "mined_1").glob("shard_*.npz"))
    base, mined = (Cells.concat([c for c in map(Cells.load, group) if len(c.y)]) for group in shards)
    keep = [(c, ~np.isin(c.image, held)) for c in (base, mined)]
    base, mined = (Cells(c.x[k], c.y[k], c.size[k], c.image[k]) for c, k in keep)
    print(f"held out {len(held)} training frames at {height} m; {len(base.y)} cells, {len(mined.y)} mined")
    head = Head.initial(base, options.seed)
    folder = out.parent / "head"
    for cells, name in ((base, "base"), (Cells.concat([base, mined]), "mined")):
        trainer = Trainer(head, folder / name, options.seed, options.epochs)
        trainer.resume()
        while trainer.epoch < options.epochs:
            trainer.run_epoch(cells)
            trainer.save()
    base = find_card(shipped(str(reference.training["base"])))
    onnx.save(detector_model(base.model_path, *head.folded()), str(out))
    card = replace(
        reference, path=out.with_name(out.stem + ".card.toml"), file=out.name, sha256=sha256_of(out)
    )
    card.write()
    return card.path


def score(card_path: Path | None, labelled: list[ImageLabels], review: float, flag: float) -> str:
    detector = Detector.open(card_path, device="cpu")
    tally = Tally()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SartriageWarning)
        for _ in evaluate(detector, labelled, open_frame, tally):
            pass
    r, f = tally.at(review), tally.at(flag)
    return (
        f"ap={tally.average_precision():.3f} at review {review:.2f}: recall={r.recall:.3f} "
        f"precision={r.precision:.3f}; at flag {flag:.2f}: recall={f.recall:.3f} precision={f.precision:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--altitude", default="60", help="HIT-UAV altitude (m) held out: 60, 80, 100 or 120")
    args = parser.parse_args()
    out = ROOT / "runs" / f"holdout_{args.altitude}" / "thermal_holdout.onnx"
    out.parent.mkdir(parents=True, exist_ok=True)
    card = held_out_model(args.altitude, out)
    labelled = [
        item
        for item in read_labels(DEV / "images", DEV / "annotations.json")
        if altitude(item.image.name) == args.altitude
    ]
    reference = find_card(SHIPPED)
    review, flag = reference.thresholds.review, reference.thresholds.flag
    people = sum(len(item.boxes) for item in labelled)
    print(f"dev frames at {args.altitude} m: {len(labelled)} frames, {people} people")
    print(f"  trained without {args.altitude} m: {score(card, labelled, review, flag)}")
    print(f"  shipped (all altitudes):  {score(SHIPPED, labelled, review, flag)}")
    base = find_card(None)
    print(
        f"  COCO default model:       {score(None, labelled, base.thresholds.review, base.thresholds.flag)}"
    )


if __name__ == "__main__":
    main()
