"""One training run: cells from the data, the head over epochs, the ONNX model and its card.

Everything a run makes lives in its run folder (cells, checkpoints, the run's manifest); the same command
carries on where an interrupted run stopped. The model and card are written at the end, beside each other.
"""

from __future__ import annotations

import fnmatch
import json
import logging
import shlex
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import onnx

from sartriage.detect import Detector, find_card
from sartriage.detect.card import ModelCard, ScaleSpec, Thresholds, card_path_for, sha256_of
from sartriage.errors import ModelError, SartriageError, SartriageWarning
from sartriage.evaluate import Tally, evaluate
from sartriage.evaluate.labels import ImageLabels
from sartriage.frames import open_frame
from sartriage.train.cells import Cells, FeatureRunner, extract
from sartriage.train.data import TRAIN, VAL, Sample, read_dataset
from sartriage.train.graph import PEAK, PERSON_LOGIT, detector_model
from sartriage.train.head import Head, Trainer

log = logging.getLogger(__name__)

TARGET_RECALL = 0.95  # the review threshold keeps this share of the validation people
RECALL_SLACK = 0.02
FLAG_PRECISION = 0.95  # flagged tiles skip the volunteers: only boxes this precise on validation
# Peaks of one person (head and feet, or two tiles' views) give boxes that overlap this much or more; two
# people seen from above rarely do. Measured on 30 pack validation frames: 235 duplicate boxes on 186
# people with the peaks alone, 20 after this NMS, the same people found.
NMS_IOU = 0.3


@dataclass(frozen=True)
class TrainOptions:
    data: tuple[Path, ...]
    out: Path  # the model file to write; its card goes beside it
    run_dir: Path
    base: Path | None = None  # default: the shipped model
    epochs: int = 8
    seed: int = 0
    hard_negative_rounds: int = 1  # rounds of adding the head's own false alarms and training on
    from_base: bool = False  # start from the base model's person logit and learn corrections (Head.initial)
    imagery: str = "thermal"
    scale: float = 2.0  # model pixels per frame pixel without a GSD, as the card's [scale] default
    person_px: float = 44.0
    exclude: tuple[str, ...] = ()  # file-name patterns left out (e.g. an altitude held out for a fair check)
    threads: int | None = None
    name: str = ""
    command: str = field(default_factory=lambda: shlex.join(["sartriage", *sys.argv[1:]]))

    def manifest(self, samples: Sequence[Sample]) -> dict[str, Any]:
        """What the run folder's cells depend on: a resumed run must match it."""
        return {
            "base": str(self.base or "default"),
            "seed": self.seed,
            "epochs": self.epochs,  # mined cells depend on the head before them
            "hard_negative_rounds": self.hard_negative_rounds,
            **({"from_base": True} if self.from_base else {}),  # run folders made before it stay resumable
            "scale": self.scale,
            "person_px": self.person_px,
            "images": [f"{s.source}/{s.image.name}:{s.split}" for s in samples],
        }


@dataclass(frozen=True)
class TrainResult:
    model: Path
    card: ModelCard
    validation: dict[str, float]
    seconds_per_epoch: float
    cells: int


Progress = Callable[[str, int, int, str], None]  # stage, done, total, note


def _quiet(stage: str, done: int, total: int, note: str) -> None:
    return None


def _attribution(folder: Path) -> dict[str, str]:
    """The Source, Licence, Cite and Changes made paragraphs of a training folder's ATTRIBUTION.md."""
    found = {"licence": "unknown: state it before shipping a model trained on it"}
    attribution = folder / "ATTRIBUTION.md"
    if not attribution.exists():
        return found
    for paragraph in attribution.read_text(encoding="utf-8").split("\n\n"):
        head, _, text = paragraph.partition(":")
        key = {
            "source": "source",
            "licence": "licence",
            "license": "licence",
            "cite": "cite",
            "changes made": "changes",
        }.get(head.strip().lower())
        if key and text.strip():
            found[key] = " ".join(text.split())
    return found


def load_samples(options: TrainOptions) -> list[Sample]:
    samples: list[Sample] = []
    for folder in options.data:
        samples.extend(read_dataset(folder))
    kept = [s for s in samples if not any(fnmatch.fnmatch(s.image.name, p) for p in options.exclude)]
    if not any(s.split == TRAIN and len(s.persons) for s in kept):
        raise SartriageError("no training image with a person in the data; check the folders and --exclude")
    return kept


def _check_manifest(run_dir: Path, manifest: dict[str, Any]) -> None:
    path = run_dir / "manifest.json"
    if path.exists():
        if json.loads(path.read_text(encoding="utf-8")) != manifest:
            raise SartriageError(
                f"{run_dir}: this run folder was started with other data or settings; "
                "give another --run-dir (or delete this one) to start afresh"
            )
        return
    run_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(manifest), encoding="utf-8")


def planner_card(base: ModelCard, options: TrainOptions) -> ModelCard:
    return replace(
        base, scale=ScaleSpec(person_px=options.person_px, default=options.scale, overlap=base.scale.overlap)
    )


def tally(
    detector: Detector, samples: Sequence[Sample], progress: Callable[[], None] = lambda: None
) -> Tally:
    """Person boxes of ``detector`` on ``samples`` scored as `sartriage eval` scores them."""
    result = Tally()
    labelled = [ImageLabels(s.image, s.persons) for s in samples]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SartriageWarning)
        for _ in evaluate(detector, labelled, open_frame, result):
            progress()
    return result


def choose_thresholds(scores: Tally) -> Thresholds:
    """Review where validation recall reaches ``TARGET_RECALL``, or comes within ``RECALL_SLACK`` of the
    most the model reaches at all (chasing its last people costs more false alarms than they are likely
    to be found by: volunteers then stop looking); flag where boxes are ``FLAG_PRECISION`` precise (never
    below review)."""
    grid = np.round(np.arange(0.05, 0.951, 0.01), 2)
    recalls = [scores.at(t).recall for t in grid]
    wanted = min(TARGET_RECALL, max(recalls) - RECALL_SLACK)
    reaching = [t for t, r in zip(grid, recalls, strict=True) if r >= wanted]
    review = float(max(reaching)) if reaching else 0.05
    precise = [
        t for t in grid if t >= review and scores.at(t).precision >= FLAG_PRECISION and scores.at(t).boxes
    ]
    flag = float(min(precise)) if precise else 0.95
    return Thresholds(review=review, flag=max(flag, review), nms_iou=NMS_IOU)


def _data_record(options: TrainOptions, samples: Sequence[Sample]) -> list[dict[str, Any]]:
    record = []
    for folder in options.data:
        mine = [s for s in samples if s.source == folder.name]
        record.append(
            {
                "folder": folder.name,
                "images_train": sum(s.split == TRAIN for s in mine),
                "images_val": sum(s.split == VAL for s in mine),
                "persons": int(sum(len(s.persons) for s in mine)),
                **_attribution(folder),
            }
        )
    return record


def train(options: TrainOptions, progress: Progress = _quiet) -> TrainResult:
    """Train a head on the base model's features and write the model and its card (see module doc)."""
    samples = load_samples(options)
    base = find_card(options.base)
    if base.family != "centernet":
        raise ModelError(
            f"{base.path}: `sartriage train` fine-tunes the shipped CenterNet; this is {base.family}"
        )
    _check_manifest(options.run_dir, options.manifest(samples))
    planner = Detector.open(planner_card(base, options), device="auto", threads=options.threads)
    runner = FeatureRunner(base.model_path, planner, options.run_dir, threads=options.threads)
    train_set = [s for s in samples if s.split == TRAIN]
    val_set = [s for s in samples if s.split == VAL]

    done = 0

    def step(n: int) -> None:
        nonlocal done
        done += n
        progress("cells", done, len(train_set), runner.provider)

    shards = extract(runner, train_set, options.run_dir / "cells", options.seed, step)
    cells = Cells.concat([c for c in (Cells.load(p) for p in shards) if len(c.y)])
    log.info("%d cells (%d person) from %d training images", len(cells.y), int(cells.y.sum()), len(train_set))

    head = Head.initial(cells, options.seed, keep=PERSON_LOGIT if options.from_base else None)
    per_epoch = _fit(head, cells, options.run_dir / "head", options, "", progress)
    for round_ in range(1, options.hard_negative_rounds + 1):
        mined_done = 0

        def mined_step(n: int, round_: int = round_) -> None:
            nonlocal mined_done
            mined_done += n
            progress(f"hard negatives {round_}", mined_done, len(train_set), runner.provider)

        mined_shards = extract(
            runner,
            train_set,
            options.run_dir / f"mined_{round_}",
            options.seed,
            mined_step,
            head.score_features,
        )
        mined = [c for c in (Cells.load(p) for p in mined_shards) if len(c.y)]
        log.info(
            "round %d: %d false alarms of the head added as negatives", round_, sum(len(c.y) for c in mined)
        )
        cells = Cells.concat([cells, *mined])
        per_epoch = _fit(
            head,
            cells,
            options.run_dir / f"head_mined_{round_}",
            options,
            f" (hard negatives {round_})",
            progress,
        )

    model = detector_model(base.model_path, *head.folded())
    options.out.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(options.out))
    card = _card(options, base, samples, per_epoch)
    card.write()
    trained = Detector.open(card, device="auto", threads=options.threads)
    checked = 0

    def step_val() -> None:
        nonlocal checked
        checked += 1
        progress("validation", checked, len(val_set), "")

    validation: dict[str, float] = {}
    if val_set:
        scores = tally(trained, val_set, step_val)
        thresholds = choose_thresholds(scores)
        at_review = scores.at(thresholds.review)
        validation = {
            "images": len(val_set),
            "persons": scores.labels,
            "ap": round(scores.average_precision(), 4),
            "recall_at_review": round(at_review.recall, 4),
            "precision_at_review": round(at_review.precision, 4),
        }
        card = replace(card, thresholds=thresholds, training={**card.training, "validation": validation})
        card.write()
    return TrainResult(options.out, card, validation, per_epoch, len(cells.y))


def _fit(
    head: Head, cells: Cells, folder: Path, options: TrainOptions, label: str, progress: Progress
) -> float:
    """Train ``head`` on ``cells`` for the run's epochs, resuming from ``folder``; seconds per epoch run."""
    trainer = Trainer(head, folder, options.seed, options.epochs)
    if trainer.resume():
        log.info("%s: resumed after epoch %d", folder.name, trainer.epoch)
    started, first_epoch = time.monotonic(), trainer.epoch
    while trainer.epoch < options.epochs:
        epoch = trainer.epoch + 1
        seen = 0

        def report(n: int, loss: float, epoch: int = epoch) -> None:
            nonlocal seen
            seen += n
            progress(f"epoch {epoch}/{options.epochs}{label}", seen, len(cells.y), f"loss {loss:.4f}")

        trainer.run_epoch(cells, report)
        trainer.save()
    epochs_run = trainer.epoch - first_epoch
    return (time.monotonic() - started) / epochs_run if epochs_run else 0.0


def _card(options: TrainOptions, base: ModelCard, samples: Sequence[Sample], per_epoch: float) -> ModelCard:
    data = _data_record(options, samples)
    licences = "; ".join(f"{d['folder']}: {d['licence']}" for d in data)
    name = options.name or f"{base.name or base.file} + {options.imagery} person head ({options.out.stem})"
    training = {
        "base": base.file,
        "base_sha256": base.sha256,
        "data": data,
        "exclude": list(options.exclude),
        "command": options.command,
        "epochs": options.epochs,
        "hard_negative_rounds": options.hard_negative_rounds,
        "seed": options.seed,
        **(
            {"seconds_per_epoch": round(per_epoch, 1)} if per_epoch else {}
        ),  # none run when resumed at the end
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "method": (
            "the base model frozen; a head (1x1 convolutions, 64 hidden units) trained on its stride-4 and "
            "stride-8 features and class logits, with 5x5 and 11x11 cell context, predicting a person heat "
            f"map and box size; peaks over {PEAK}x{PEAK} cells, then box NMS at IoU {NMS_IOU}"
            + (
                "; the head starts as the base model's own person logit and learns corrections to it"
                if options.from_base
                else ""
            )
        ),
    }
    return ModelCard(
        path=card_path_for(options.out).resolve(),
        file=options.out.name,
        family="centernet",
        input=base.input,
        person_ids=(0,),
        sha256=sha256_of(options.out),
        clue_ids=(),
        name=name,
        provenance=f"`{options.command}`: {training['method']}. Base: {base.name} ({base.file}).",
        licence=f"Base model: {base.licence} Training data: {licences}.",
        output=replace(base.output, boxes="pixels", nms_inside=False),
        class_names=("person",),
        thresholds=replace(base.thresholds, nms_iou=NMS_IOU),
        scale=ScaleSpec(person_px=options.person_px, default=options.scale, overlap=base.scale.overlap),
        weaknesses=(
            f"Trained on {options.imagery} frames only ({licences}); "
            f"seen at {options.scale:g}x without a GSD. "
            "Dev figures are in [training]; check them on your own imagery before trusting it to clear tiles."
        ),
        imagery=(options.imagery,),
        training=training,
    )


def options_record(options: TrainOptions) -> dict[str, Any]:
    return {k: str(v) if isinstance(v, Path) else v for k, v in asdict(options).items()}
