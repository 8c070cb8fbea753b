"""A mission model: the detector trained on one mission's decisions, then set to the tiles still waiting.

The coordinator's and volunteers' decisions on a mission's tiles (``export.training``: person boxes from
confirmed hits, empty tiles from rejections and finished reviews) train a head on the shipped model's
features, as ``sartriage train`` does, but starting from the shipped model's own person logit
(``Head.initial(keep=...)``): a mission gives tens of people, enough to correct the base model, not to
replace it. Whole frames are held out; the epoch that scores best on them is kept, and the figures
before and after are on tiles of frames the new model never saw. The model then scores again the tiles
still waiting for volunteers (their pixels read once more, from the photo or its kept copy), and the
result says how many it would clear or flag and which to look at first. Nothing in the mission
changes: the model is used for the next flights with ``--model`` like any other, after the coordinator
has read its figures.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import statistics
import warnings
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePath
from typing import Any

import onnx
from sqlalchemy import func, select

from sartriage import words
from sartriage.detect import Detector, Tile
from sartriage.detect.card import ModelCard, card_path_for, find_card, sha256_of
from sartriage.detect.choice import DEFAULT_MODELS
from sartriage.errors import FrameError, SartriageError, SartriageWarning
from sartriage.export.training import TrainingSet, reviewed_tiles, write_training
from sartriage.frames import open_frame
from sartriage.store import Store, schema
from sartriage.store.photos import photo_to_read
from sartriage.train.data import TRAIN, VAL, Sample
from sartriage.train.graph import detector_model
from sartriage.train.head import Head
from sartriage.train.run import Progress, TrainOptions, choose_thresholds, load_samples, tally, train

log = logging.getLogger(__name__)

HELD_OUT = 0.2  # share of the reviewed frames kept out of training, to score before and after on
BEST = 10  # waiting tiles listed, highest new score first
# Thresholds chosen on fewer held-out people than this are chance: the model may flag and order tiles,
# but its card does not let it clear any (every tile it scans reaches review).
MIN_PEOPLE_TO_CLEAR = 30


@dataclass(frozen=True)
class Rescored:
    """The tiles still waiting for volunteers, scored by the mission model."""

    tiles: int
    would_clear: int  # under the mission model's review threshold (0 when its card may not clear)
    would_flag: int  # at or over its flag threshold
    unread: int  # tiles whose photo (and kept copy) is gone
    best: tuple[tuple[int, str, float], ...]  # tile id, frame file name, new score; highest first


@dataclass(frozen=True)
class Learned:
    model: Path
    card: ModelCard
    data: TrainingSet
    imagery: str
    frames_trained: int
    frames_held_out: int
    base: ModelCard  # the shipped model of that imagery, scored on the same held-out tiles
    before: dict[str, float]  # empty when no person was held out
    after: dict[str, float]
    rescored: Rescored
    no_clearing: str  # why its card lets it clear no tile; empty when it may

    def describe(self) -> list[str]:
        d = self.data
        lines = [
            f"reviewed tiles: {d.positives} with people ({d.boxes} boxes), {d.negatives} without"
            + (f", {d.needs_boxes} with a person but no box (left out)" if d.needs_boxes else ""),
            f"{self.imagery} model trained on {words.count(self.frames_trained, 'frame')}; "
            f"{self.frames_held_out} held out",
        ]
        if self.before and self.after:
            for label, card, figures in (
                ("before", self.base, self.before),
                ("after", self.card, self.after),
            ):
                lines.append(
                    f"  {label}: ap={figures['ap']:.3f} recall={figures['recall']:.3f} "
                    f"precision={figures['precision']:.3f} at review >= {figures['review']:.2f} "
                    f"({card.name or card.file}; {figures['persons']:.0f} people on held-out tiles)"
                )
            if self.after["ap"] <= self.before["ap"]:
                lines.append(
                    "  the shipped model ranks the held-out people at least as well: keep scanning with it, "
                    "and learn again after more decisions"
                )
        else:
            lines.append(
                "  no person on the held-out frames, so no figures before and after: review more tiles"
            )
        r = self.rescored
        if self.no_clearing:
            lines.append(f"  the model may flag and order tiles but clears none: {self.no_clearing}")
        unread = f" ({r.unread} could not be read)" if r.unread else ""
        lines.append(
            f"{self.imagery} tiles waiting for volunteers: {r.tiles}; the mission model would clear "
            f"{r.would_clear} and flag {r.would_flag}{unread}"
        )
        lines.extend(f"  tile {tile} ({frame}): {score:.2f}" for tile, frame, score in r.best)
        return lines


def held_out_frames(hashes: dict[int, str], share: float) -> set[int]:
    """Frames kept out of training: a fixed share of them, chosen by content hash (the same every run)."""
    if len(hashes) < 2 or share <= 0:
        return set()
    ordered = sorted(hashes, key=lambda f: hashlib.sha256(hashes[f].encode()).hexdigest())
    return set(ordered[: max(1, round(len(ordered) * share))])


def _frames(store: Store, frame_ids: set[int]) -> dict[int, Any]:
    f = schema.frames
    with store.connect() as conn:
        rows = conn.execute(select(f.c.id, f.c.content_hash, f.c.imagery).where(f.c.id.in_(frame_ids)))
        return {int(r.id): r for r in rows}


def _scale(store: Store, tile_ids: Sequence[int]) -> float:
    """Model pixels per frame pixel the mission's tiles were seen at: the tiles' images carry no GSD."""
    t = schema.tiles
    with store.connect() as conn:
        scales = conn.execute(select(t.c.scale).where(t.c.id.in_(tile_ids))).scalars().all()
    return float(statistics.median(scales)) if scales else 1.0


def _write_split(folder: Path, stems: dict[str, int], held: set[int]) -> None:
    lines = [f"images/{stem}.jpg {VAL if frame in held else TRAIN}" for stem, frame in sorted(stems.items())]
    (folder / "split.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _figures(scores: Any, review: float) -> dict[str, float]:
    at = scores.at(review)
    return {
        "ap": scores.average_precision(),
        "recall": at.recall,
        "precision": at.precision,
        "review": review,
        "persons": scores.labels,
    }


def learn(
    store: Store,
    out: Path,
    run_dir: Path,
    *,
    epochs: int = 8,
    seed: int = 0,
    held_out: float = HELD_OUT,
    threads: int | None = None,
    progress: Progress | None = None,
) -> Learned:
    """Train the mission model into ``out`` (card beside it) and score the waiting tiles (module doc)."""
    reviewed = reviewed_tiles(store)
    tiles = [t for t in reviewed if not t.needs_boxes]
    if not any(t.label == "person" for t in tiles):
        raise SartriageError(
            "no reviewed tile with a person box in this mission yet; confirm the people the detector found "
            "(hits confirm) before training a mission model"
        )
    data_dir = run_dir / "reviewed"
    shutil.rmtree(data_dir, ignore_errors=True)  # the mission's decisions as they stand now
    data = write_training(store, data_dir)
    frames = _frames(store, {t.frame_id for t in tiles})
    held = held_out_frames({i: r.content_hash for i, r in frames.items()}, held_out)
    _write_split(data_dir, {t.stem: t.frame_id for t in tiles}, held)
    if not any(t.label == "person" and t.frame_id not in held for t in tiles):
        raise SartriageError(
            "every reviewed person is on a frame held out to check the model; decide more frames, or give "
            "--held-out 0 to train on all of them (and get no figures before and after)"
        )
    kinds = Counter(str(frames[t.frame_id].imagery or "rgb") for t in tiles)
    imagery = kinds.most_common(1)[0][0]
    base = find_card(None)
    options = TrainOptions(
        data=(data_dir,),
        out=out,
        run_dir=run_dir / "train",
        epochs=epochs,
        seed=seed,
        imagery=imagery,
        from_base=True,
        scale=_scale(store, [t.tile_id for t in tiles]),
        person_px=base.scale.person_px,
        threads=threads,
        name=f"{base.name or base.file} + mission head ({out.stem})",
        command=f"sartriage learn --db {store.location} --out {out}",
    )
    samples = load_samples(options)
    manifest = run_dir / "train" / "manifest.json"
    if manifest.exists() and json.loads(manifest.read_text(encoding="utf-8")) != options.manifest(samples):
        shutil.rmtree(run_dir / "train")  # new decisions since the last run: train afresh
    result = train(options, progress or (lambda stage, done, total, note: None))
    card = result.card
    val = [s for s in samples if s.split == VAL]
    people = int(sum(len(s.persons) for s in val))
    if people:
        card = _best_epoch(options, card, val)
    shipped = find_card(DEFAULT_MODELS.get(imagery))
    before, after = {}, {}
    if people:
        before_scores = tally(Detector.open(shipped, device="auto", threads=threads), val)
        before = _figures(before_scores, shipped.thresholds.review)
        after_scores = tally(Detector.open(card, device="auto", threads=threads), val)
        after = _figures(after_scores, card.thresholds.review)
    why_not = why_it_may_not_clear(people, before, after)
    if why_not:
        card = replace(
            card,
            imagery=(),
            weaknesses=f"It clears no tile (every tile it scans goes to review): {why_not}. "
            + card.weaknesses,
        )
        card.write()
    done = {t.tile_id for t in reviewed}
    rescored = rescore(store, Detector.open(card, device="auto", threads=threads), imagery, done)
    trained_frames = len({t.frame_id for t in tiles} - held)
    return Learned(
        result.model,
        card,
        data,
        imagery,
        trained_frames,
        len(held),
        shipped,
        before,
        after,
        rescored,
        why_not,
    )


def why_it_may_not_clear(people: int, before: dict[str, float], after: dict[str, float]) -> str:
    """Why the mission model's card may not let it clear tiles ('' when it may): too few held-out people
    to trust a threshold, or it ranks or finds them worse than the shipped model there."""
    if people < MIN_PEOPLE_TO_CLEAR:
        return f"checked on {people} held-out people, fewer than the {MIN_PEOPLE_TO_CLEAR} a threshold needs"
    if after["ap"] < before["ap"] or after["recall"] < before["recall"]:
        return "on the held-out people it ranks or finds them worse than the shipped model"
    return ""


def _best_epoch(options: TrainOptions, trained: ModelCard, val: Sequence[Sample]) -> ModelCard:
    """Keep the epoch whose head scores best (AP) on the held-out tiles, and its thresholds.

    A mission gives tens of people, not thousands: a head trained to the last epoch learns the mission's
    frames by heart and drifts from what the base model knew. Each epoch's checkpoint is scored on the
    held-out frames, which training never saw, and the best one becomes the model."""
    base = find_card(options.base)
    best: tuple[float, Path, Any, onnx.ModelProto] | None = None
    trial = options.out.with_name(options.out.stem + ".trial.onnx")
    for checkpoint in sorted(options.run_dir.glob("head*/epoch_*.npz")):
        model = detector_model(base.model_path, *Head.load(checkpoint).folded())
        onnx.save(model, str(trial))
        candidate = replace(trained, path=card_path_for(trial), file=trial.name, sha256=sha256_of(trial))
        scores = tally(Detector.open(candidate, device="auto", threads=options.threads), val)
        if best is None or scores.average_precision() > best[0]:
            best = (scores.average_precision(), checkpoint, scores, model)
    trial.unlink(missing_ok=True)
    if best is None:
        return trained
    ap, checkpoint, scores, model = best
    onnx.save(model, str(options.out))
    thresholds = choose_thresholds(scores)
    at_review = scores.at(thresholds.review)
    validation = {
        "images": len(val),
        "persons": scores.labels,
        "ap": round(ap, 4),
        "recall_at_review": round(at_review.recall, 4),
        "precision_at_review": round(at_review.precision, 4),
        "checkpoint": f"{checkpoint.parent.name}/{checkpoint.stem}",  # the epoch kept
    }
    card = replace(
        trained,
        sha256=sha256_of(options.out),
        thresholds=thresholds,
        training={**trained.training, "validation": validation},
    )
    card.write()
    return card


def rescore(store: Store, detector: Detector, imagery: str, decided: set[int]) -> Rescored:
    """Score again, with ``detector``, the review tiles of ``imagery`` frames that have no decision yet,
    frame by frame (a model trained on one kind of imagery says nothing about the other)."""
    t, f = schema.tiles, schema.frames
    with store.connect() as conn:
        rows = conn.execute(
            select(t.c.id, t.c.x, t.c.y, t.c.w, t.c.h, t.c.scale, f.c.id.label("frame_id"), f.c.path,
                   f.c.content_hash)
            .select_from(t.join(f, t.c.frame_id == f.c.id))
            .where(t.c.state == "review", func.coalesce(f.c.imagery, "rgb") == imagery)
            .order_by(f.c.id, t.c.id)
        ).all()  # fmt: skip
    by_frame: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        if row.id not in decided:
            by_frame[row.frame_id].append(row)
    scores: list[tuple[int, str, float]] = []
    unread = 0
    for waiting in by_frame.values():
        first = waiting[0]
        windows = [Tile(r.x, r.y, r.w, r.h, r.scale) for r in waiting]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SartriageWarning)
                with open_frame(photo_to_read(store, first.path, first.content_hash)) as frame:
                    found = detector.merge(detector.infer(detector.cut(frame, windows)), windows)
        except FrameError as exc:
            log.warning("%s; its %d waiting tiles are not scored again", exc, len(waiting))
            unread += len(waiting)
            continue
        name = PurePath(first.path).name
        scores.extend((int(r.id), name, float(s)) for r, s in zip(waiting, found.tile_scores, strict=True))
    review, flag = detector.card.thresholds.review, detector.card.thresholds.flag
    may_clear = detector.card.fit_for(imagery)  # every tile scored is of this imagery (the query's rule)
    scores.sort(key=lambda item: -item[2])
    return Rescored(
        tiles=len(scores) + unread,
        would_clear=sum(s < review for _, _, s in scores) if may_clear else 0,
        would_flag=sum(s >= flag for _, _, s in scores),
        unread=unread,
        best=tuple(scores[:BEST]),
    )
