"""Heat-map cells with their features, cut from labelled images the way a scan sees them.

Each image is tiled and resampled exactly as the scan does (the target card's scale and overlap), run
through the base model's feature stack, and sampled: the 3x3 cells around each person's centre are
positives (with the person's size in model pixels); negatives are random cells, the cells the base model
finds most person-like, the warmest (brightest) cells, and the cells on other objects (vehicles, animals).
Cells on a person's box or a don't-care region are neither.

Cells are written in shards of ``SHARD_IMAGES`` images (``cells/shard_00000.npz``...), each written whole
and renamed into place, so an interrupted run carries on at the first missing shard.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx

from sartriage.detect import Detector, Tile
from sartriage.detect.session import Session
from sartriage.errors import SartriageError, SartriageWarning
from sartriage.frames import open_frame
from sartriage.train.data import Sample
from sartriage.train.graph import PEAK, STRIDE, features_model

log = logging.getLogger(__name__)

SHARD_IMAGES = 16
RANDOM_NEGATIVES = 48  # per tile
HARD_NEGATIVES = 16  # per tile, of each kind: most person-like to the base model, warmest
PERSON_LOGIT = 128 + 192  # the base model's person class logit in the feature stack
BATCH = 4
MINE_SCORE = 0.2  # a head's peak at least this high on no one is a false alarm worth learning from
MINED_PER_TILE = 32
CellScorer = Callable[[np.ndarray], np.ndarray]  # (C, n) raw features -> (n,) person scores


@dataclass(frozen=True)
class Cells:
    """Sampled cells: features (n, C) float16, label (n,) 1 person / 0 not, log width and height (n, 2) in
    model pixels (NaN for negatives), and the index of the image each came from."""

    x: np.ndarray
    y: np.ndarray
    size: np.ndarray
    image: np.ndarray

    @classmethod
    def concat(cls, parts: Sequence[Cells]) -> Cells:
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("x", "y", "size", "image")))

    def save(self, path: Path) -> None:
        tmp = path.with_name(path.name + ".part")
        with tmp.open("wb") as stream:
            np.savez(stream, x=self.x, y=self.y, size=self.size, image=self.image)
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> Cells:
        with np.load(path) as data:
            return cls(data["x"], data["y"], data["size"], data["image"])


class FeatureRunner:
    """The base model's feature stack on the scan's own tiles (``planner`` plans and cuts them)."""

    def __init__(self, base_model: Path, planner: Detector, folder: Path, threads: int | None = None) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "features.onnx"
        onnx.save(features_model(base_model), str(path))
        self.session = Session(path, device="auto", threads=threads)
        self.planner = planner

    @property
    def provider(self) -> str:
        return self.session.provider

    def run(self, batch: np.ndarray) -> np.ndarray:
        tensor = self.planner.adapter.preprocess(batch)
        return self.session.run(tensor)[0]


def _in_model_px(boxes: np.ndarray, tile: Tile) -> np.ndarray:
    return (boxes - np.array([tile.x, tile.y, tile.x, tile.y], np.float32)) * np.float32(tile.scale)


def _cells_of(boxes: np.ndarray, side: int, grow: int = 0) -> np.ndarray:
    """Boolean (side, side) mask of the cells whose centres lie in any box (grown by ``grow`` cells)."""
    mask = np.zeros((side, side), bool)
    for x1, y1, x2, y2 in boxes / STRIDE:
        c0, r0 = max(0, int(np.floor(x1 - 0.5)) - grow), max(0, int(np.floor(y1 - 0.5)) - grow)
        c1, r1 = min(side, int(np.ceil(x2 - 0.5)) + grow), min(side, int(np.ceil(y2 - 0.5)) + grow)
        if c1 > c0 and r1 > r0:
            mask[r0:r1, c0:c1] = True
    return mask


def _centre_blocks(boxes: np.ndarray, side: int) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """For each box whose centre lies in the tile: rows, cols of the 3x3 cells around it, and the box."""
    out = []
    for box in boxes:
        cx, cy = (box[0] + box[2]) / 2 / STRIDE, (box[1] + box[3]) / 2 / STRIDE
        if not (0 <= cx < side and 0 <= cy < side):
            continue
        col, row = int(cx), int(cy)
        rows, cols = np.meshgrid(np.arange(row - 1, row + 2), np.arange(col - 1, col + 2), indexing="ij")
        keep = (rows >= 0) & (rows < side) & (cols >= 0) & (cols < side)
        out.append((rows[keep], cols[keep], box))
    return out


def sample_tile(
    features: np.ndarray, pixels: np.ndarray, sample: Sample, tile: Tile, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(cell indices, labels, log sizes) of one tile's sampled cells; ``features`` is (C, side, side)."""
    side = features.shape[-1]
    persons = _in_model_px(sample.persons, tile)
    index: list[np.ndarray] = []
    labels: list[np.ndarray] = []
    sizes: list[np.ndarray] = []
    for rows, cols, box in _centre_blocks(persons, side):
        w, h = max(box[2] - box[0], 1.0), max(box[3] - box[1], 1.0)
        index.append(rows * side + cols)
        labels.append(np.ones(len(rows), np.uint8))
        sizes.append(np.tile(np.log([w, h]).astype(np.float32), (len(rows), 1)))
    blocked = _cells_of(persons, side, grow=1) | _cells_of(_in_model_px(sample.ignore, tile), side)
    allowed = np.flatnonzero(~blocked.ravel())
    chosen: set[int] = set()
    if len(allowed):
        chosen.update(rng.choice(allowed, size=min(RANDOM_NEGATIVES, len(allowed)), replace=False).tolist())
        person_like = features[PERSON_LOGIT].ravel()[allowed]
        chosen.update(allowed[np.argsort(-person_like, kind="stable")[:HARD_NEGATIVES]].tolist())
        grey = pixels.mean(axis=2).reshape(side, STRIDE, side, STRIDE).mean(axis=(1, 3)).ravel()[allowed]
        chosen.update(allowed[np.argsort(-grey, kind="stable")[:HARD_NEGATIVES]].tolist())
    for rows, cols, _ in _centre_blocks(_in_model_px(sample.others, tile), side):
        flat = rows * side + cols
        chosen.update(flat[~blocked.ravel()[flat]].tolist())
    negatives = np.array(sorted(chosen), np.int64)
    index.append(negatives)
    labels.append(np.zeros(len(negatives), np.uint8))
    sizes.append(np.full((len(negatives), 2), np.nan, np.float32))
    return np.concatenate(index), np.concatenate(labels), np.concatenate(sizes)


def image_cells(runner: FeatureRunner, sample: Sample, image_index: int, seed: int) -> Cells | None:
    """The sampled cells of one image, or None when it cannot be read (logged; the others go on)."""
    rng = np.random.default_rng([seed, image_index])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SartriageWarning)
            with open_frame(sample.image) as frame:
                tiles = runner.planner.plan(frame)
                batch = runner.planner.cut(frame, tiles)
    except SartriageError as exc:
        log.warning("%s; left out of training", exc)
        return None
    parts = []
    for start in range(0, len(tiles), BATCH):
        features = runner.run(batch[start : start + BATCH])
        for offset, feats in enumerate(features):
            tile = tiles[start + offset]
            index, labels, sizes = sample_tile(feats, batch[start + offset], sample, tile, rng)
            flat = feats.reshape(feats.shape[0], -1)
            parts.append(
                Cells(
                    flat[:, index].T.astype(np.float16),
                    labels,
                    sizes,
                    np.full(len(index), image_index, np.int32),
                )
            )
    return Cells.concat(parts) if parts else None


def _local_peaks(scores: np.ndarray, size: int) -> np.ndarray:
    """Boolean mask of the cells that are the maximum of their ``size`` x ``size`` neighbourhood."""
    pad = size // 2
    padded = np.pad(scores, pad, constant_values=-np.inf)
    windows = np.lib.stride_tricks.sliding_window_view(padded, (size, size))
    return scores >= windows.max(axis=(2, 3))


def mined_cells(runner: FeatureRunner, score: CellScorer, sample: Sample, image_index: int) -> Cells | None:
    """The cells of one image where the current head raises a peak on no one (its false alarms)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SartriageWarning)
            with open_frame(sample.image) as frame:
                tiles = runner.planner.plan(frame)
                batch = runner.planner.cut(frame, tiles)
    except SartriageError as exc:
        log.warning("%s; left out of training", exc)
        return None
    parts = []
    for start in range(0, len(tiles), BATCH):
        for offset, feats in enumerate(runner.run(batch[start : start + BATCH])):
            tile = tiles[start + offset]
            side = feats.shape[-1]
            flat = feats.reshape(feats.shape[0], -1)
            scores = score(flat).reshape(side, side)
            blocked = _cells_of(_in_model_px(sample.persons, tile), side, grow=1)
            blocked |= _cells_of(_in_model_px(sample.ignore, tile), side)
            wrong = _local_peaks(scores, PEAK) & (scores >= MINE_SCORE) & ~blocked
            index = np.flatnonzero(wrong.ravel())
            index = index[np.argsort(-scores.ravel()[index], kind="stable")[:MINED_PER_TILE]]
            parts.append(
                Cells(
                    flat[:, index].T.astype(np.float16),
                    np.zeros(len(index), np.uint8),
                    np.full((len(index), 2), np.nan, np.float32),
                    np.full(len(index), image_index, np.int32),
                )
            )
    return Cells.concat(parts) if parts else None


def extract(
    runner: FeatureRunner,
    samples: Sequence[Sample],
    folder: Path,
    seed: int,
    progress: Callable[[int], None] = lambda n: None,
    score: CellScorer | None = None,
) -> list[Path]:
    """Shards of sampled cells for ``samples`` in ``folder`` (with ``score``: the cells the head scoring
    them gets wrong); shards already there are kept (resume)."""
    folder.mkdir(parents=True, exist_ok=True)
    shards = []
    for first in range(0, len(samples), SHARD_IMAGES):
        path = folder / f"shard_{first // SHARD_IMAGES:05d}.npz"
        shards.append(path)
        chunk = samples[first : first + SHARD_IMAGES]
        if path.exists():
            progress(len(chunk))
            continue
        parts = []
        for offset, sample in enumerate(chunk):
            index = first + offset
            if score is None:
                cells = image_cells(runner, sample, index, seed)
            else:
                cells = mined_cells(runner, score, sample, index)
            if cells is not None:
                parts.append(cells)
            progress(1)
        if parts:
            Cells.concat(parts).save(path)
        else:
            Cells(np.zeros((0, 0), np.float16), np.zeros(0, np.uint8), np.zeros((0, 2), np.float32),
                  np.zeros(0, np.int32)).save(path)  # fmt: skip
    return shards
