"""The trained head: per cell, features -> hidden ReLU layer -> person logit and log width/height.

Trained with Adam on mini-batches in numpy, one checkpoint per epoch (``epoch_NNN.npz``: weights, Adam
moments, step), shuffled by ``(seed, epoch)``, so a resumed run takes exactly the steps an uninterrupted
one would. The features are standardised by statistics of the training cells; ``folded()`` moves that
standardisation into the first layer's weights for export.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sartriage.train.cells import Cells

HIDDEN = 64
BATCH = 2048
LEARNING_RATE = 2e-3
WEIGHT_DECAY = 1e-4
POSITIVE_WEIGHT = 4.0  # positives are about a tenth of the cells; a missed person costs more than a glance
SIZE_WEIGHT = 1.0
BETAS = (0.9, 0.999)
PARAMS = ("w1", "b1", "w2", "b2")


@dataclass
class Head:
    w1: np.ndarray  # (H, C)
    b1: np.ndarray  # (H,)
    w2: np.ndarray  # (3, H)
    b2: np.ndarray  # (3,)
    mean: np.ndarray  # (C,) feature standardisation
    std: np.ndarray

    @classmethod
    def initial(cls, cells: Cells, seed: int, hidden: int = HIDDEN, keep: int | None = None) -> Head:
        """A fresh head. With ``keep``, the index of the base model's own person logit among the features,
        the head starts as that logit (two hidden units pass it through: relu(l) - relu(-l)) and training
        learns corrections to it: where a mission gives few examples, the model stays close to what the
        base model already knows instead of starting from nothing."""
        rng = np.random.default_rng([seed, 0])
        rows = rng.choice(len(cells.y), size=min(len(cells.y), 100_000), replace=False)
        sample = cells.x[np.sort(rows)].astype(np.float32)
        mean, std = sample.mean(axis=0), sample.std(axis=0) + 1e-3
        channels = cells.x.shape[1]
        positive = cells.y == 1
        prior = float(np.clip(positive.mean(), 1e-4, 0.5))
        sizes = np.nanmean(cells.size[positive], axis=0) if positive.any() else np.log([16.0, 32.0])
        head = cls(
            w1=(rng.standard_normal((hidden, channels)) * np.sqrt(2.0 / channels)).astype(np.float32),
            b1=np.zeros(hidden, np.float32),
            w2=(rng.standard_normal((3, hidden)) * 0.01).astype(np.float32),
            b2=np.array([np.log(prior / (1 - prior)), *sizes], np.float32),
            mean=mean.astype(np.float32),
            std=std.astype(np.float32),
        )
        if keep is not None:
            for unit, sign in ((0, 1.0), (1, -1.0)):  # standardised features: undo it for the raw logit
                head.w1[unit] = 0.0
                head.w1[unit, keep] = sign * head.std[keep]
                head.b1[unit] = sign * head.mean[keep]
                head.w2[0, unit] = sign
            head.w2[0, 2:] = 0.0  # the other units start silent on the logit; training wakes them
            head.b2[0] = 0.0
        return head

    @classmethod
    def load(cls, checkpoint: Path) -> Head:
        """The head as a ``Trainer`` checkpoint (``epoch_NNN.npz``) holds it."""
        with np.load(checkpoint) as data:
            return cls(**{k: data[k] for k in (*PARAMS, "mean", "std")})

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(pre-activation, hidden, outputs) for standardised float32 features ``x``."""
        z = x @ self.w1.T + self.b1
        a = np.maximum(z, 0)
        return z, a, a @ self.w2.T + self.b2

    def standardise(self, x: np.ndarray) -> np.ndarray:
        return (x.astype(np.float32) - self.mean) / self.std

    def score_features(self, features: np.ndarray) -> np.ndarray:
        """Person scores (sigmoid) of raw features ``features`` (C, n): one column per cell."""
        w1, b1, w2, b2 = self.folded()
        hidden = np.maximum(w1 @ features + b1[:, None], 0)
        logits = w2[0] @ hidden + b2[0]
        return 1 / (1 + np.exp(-logits))

    def folded(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(w1, b1, w2, b2) acting on raw features: the standardisation folded into the first layer."""
        w1 = self.w1 / self.std
        b1 = self.b1 - w1 @ self.mean
        return w1.astype(np.float32), b1.astype(np.float32), self.w2, self.b2


def loss_and_grads(
    head: Head, x: np.ndarray, y: np.ndarray, size: np.ndarray
) -> tuple[float, dict[str, np.ndarray]]:
    z, a, out = head.forward(x)
    n = len(y)
    logit = out[:, 0]
    p = 1 / (1 + np.exp(-logit))
    weight = np.where(y == 1, POSITIVE_WEIGHT, 1.0).astype(np.float32)
    bce = weight * (np.logaddexp(0, logit) - y * logit)
    d_out = np.zeros_like(out)
    d_out[:, 0] = weight * (p - y) / n
    positive = y == 1
    size_loss = 0.0
    if positive.any():
        diff = out[positive, 1:] - size[positive]
        size_loss = float(np.where(np.abs(diff) < 1, 0.5 * diff**2, np.abs(diff) - 0.5).sum()) / n
        d_out[positive, 1:] = SIZE_WEIGHT * np.clip(diff, -1, 1) / n
    d_a = d_out @ head.w2
    d_z = d_a * (z > 0)
    grads = {
        "w1": d_z.T @ x + WEIGHT_DECAY * head.w1,
        "b1": d_z.sum(axis=0),
        "w2": d_out.T @ a + WEIGHT_DECAY * head.w2,
        "b2": d_out.sum(axis=0),
    }
    return float(bce.mean()) + SIZE_WEIGHT * size_loss, grads


class Trainer:
    """Adam over epochs with a checkpoint after each in ``folder``."""

    def __init__(self, head: Head, folder: Path, seed: int, epochs: int) -> None:
        self.head = head
        self.folder = folder
        self.seed = seed
        self.epochs = epochs
        self.step = 0
        self.epoch = 0  # epochs finished
        self.m = {k: np.zeros_like(getattr(head, k)) for k in PARAMS}
        self.v = {k: np.zeros_like(getattr(head, k)) for k in PARAMS}

    def _path(self, epoch: int) -> Path:
        return self.folder / f"epoch_{epoch:03d}.npz"

    def resume(self) -> bool:
        """Load the latest checkpoint in the folder; False when there is none."""
        found = sorted(self.folder.glob("epoch_*.npz"))
        if not found:
            return False
        loaded = Head.load(found[-1])
        for k in (*PARAMS, "mean", "std"):
            setattr(self.head, k, getattr(loaded, k))
        with np.load(found[-1]) as data:
            for k in PARAMS:
                self.m[k], self.v[k] = data[f"m_{k}"], data[f"v_{k}"]
            self.step = int(data["step"])
        match = re.search(r"(\d+)", found[-1].stem)
        self.epoch = int(match.group(1)) if match else 0
        return True

    def save(self) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        arrays = {k: getattr(self.head, k) for k in (*PARAMS, "mean", "std")}
        arrays.update({f"m_{k}": self.m[k] for k in PARAMS})
        arrays.update({f"v_{k}": self.v[k] for k in PARAMS})
        path = self._path(self.epoch)
        tmp = path.with_name(path.name + ".part")
        with tmp.open("wb") as stream:
            np.savez(stream, step=np.array(self.step), **arrays)
        tmp.replace(path)
        return path

    def run_epoch(self, cells: Cells, report: Callable[[int, float], None] = lambda n, loss: None) -> float:
        """One pass over ``cells`` in a shuffled order fixed by (seed, epoch); returns the mean loss."""
        order = np.random.default_rng([self.seed, 1, self.epoch]).permutation(len(cells.y))
        rate = LEARNING_RATE * 0.5 * (1 + np.cos(np.pi * self.epoch / max(1, self.epochs)))
        total, seen = 0.0, 0
        b1, b2 = BETAS
        for start in range(0, len(order), BATCH):
            rows = np.sort(order[start : start + BATCH])
            x = self.head.standardise(cells.x[rows])
            loss, grads = loss_and_grads(self.head, x, cells.y[rows].astype(np.float32), cells.size[rows])
            self.step += 1
            for k in PARAMS:
                self.m[k] = b1 * self.m[k] + (1 - b1) * grads[k]
                self.v[k] = b2 * self.v[k] + (1 - b2) * grads[k] ** 2
                m_hat = self.m[k] / (1 - b1**self.step)
                v_hat = self.v[k] / (1 - b2**self.step)
                setattr(
                    self.head,
                    k,
                    (getattr(self.head, k) - rate * m_hat / (np.sqrt(v_hat) + 1e-8)).astype(np.float32),
                )
            total += loss * len(rows)
            seen += len(rows)
            report(len(rows), total / seen)
        self.epoch += 1
        return total / max(seen, 1)
