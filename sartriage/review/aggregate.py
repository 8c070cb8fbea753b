"""Combining volunteers' answers into one probability of a person per tile.

Answers are parallel numpy arrays (task index, worker index, label with
``0`` = no person and ``1`` = person; "unsure" answers carry no evidence and
are left out before they get here). Three estimators:

- :func:`majority_vote` — the share of (optionally weighted) votes for a person;
- :func:`dawid_skene` — Dawid & Skene's EM over per-worker 2x2 confusion
  matrices, optionally clamping tasks whose truth is known (honeypots);
- :func:`tile_posterior` — the online naive-Bayes posterior the queue uses to
  stop early, ask for more answers or escalate one tile.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

NO_PERSON = 0
PERSON = 1
_EPS = 1e-10


@dataclass(frozen=True)
class Answers:
    """Many answers at once: ``labels[i]`` is worker ``workers[i]``'s answer on task ``tasks[i]``."""

    tasks: np.ndarray
    workers: np.ndarray
    labels: np.ndarray
    n_tasks: int
    n_workers: int

    def __post_init__(self) -> None:
        tasks = np.asarray(self.tasks, dtype=np.int64)
        workers = np.asarray(self.workers, dtype=np.int64)
        labels = np.asarray(self.labels, dtype=np.int64)
        if not (tasks.shape == workers.shape == labels.shape) or tasks.ndim != 1:
            raise ValueError("tasks, workers and labels must be 1-D arrays of one length")
        if tasks.size and (tasks.min() < 0 or tasks.max() >= self.n_tasks):
            raise ValueError("a task index is outside 0..n_tasks-1")
        if workers.size and (workers.min() < 0 or workers.max() >= self.n_workers):
            raise ValueError("a worker index is outside 0..n_workers-1")
        if labels.size and not np.isin(labels, (NO_PERSON, PERSON)).all():
            raise ValueError("labels must be 0 (no person) or 1 (person)")
        object.__setattr__(self, "tasks", tasks)
        object.__setattr__(self, "workers", workers)
        object.__setattr__(self, "labels", labels)

    @classmethod
    def from_keys(
        cls, tasks: Sequence[object], workers: Sequence[object], labels: Sequence[int]
    ) -> tuple[Answers, list[str], list[str]]:
        """Index arbitrary task and worker keys; return the answers and both key lists in index order."""
        task_keys, task_idx = np.unique(np.asarray(tasks, dtype=object).astype(str), return_inverse=True)
        worker_keys, worker_idx = np.unique(
            np.asarray(workers, dtype=object).astype(str), return_inverse=True
        )
        answers = cls(task_idx, worker_idx, np.asarray(labels), len(task_keys), len(worker_keys))
        return answers, list(task_keys), list(worker_keys)

    def counts(self) -> np.ndarray:
        """(n_tasks, 2) number of votes for each label."""
        out = np.zeros((self.n_tasks, 2), dtype=np.float64)
        np.add.at(out, (self.tasks, self.labels), 1.0)
        return out


def majority_vote(answers: Answers, weights: np.ndarray | None = None) -> np.ndarray:
    """P(person) per task as the (weighted) share of votes; NaN for a task without votes."""
    w = np.ones(answers.n_workers) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != (answers.n_workers,):
        raise ValueError("one weight per worker is needed")
    scores = np.zeros((answers.n_tasks, 2), dtype=np.float64)
    np.add.at(scores, (answers.tasks, answers.labels), w[answers.workers])
    total = scores.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, scores[:, PERSON] / total, np.nan)


def accuracy_weights(accuracy: np.ndarray) -> np.ndarray:
    """Log-odds weights of workers' accuracies: the optimal weights of a vote between independent workers."""
    acc = np.clip(np.asarray(accuracy, dtype=np.float64), 0.5, 0.999)
    return np.log(acc / (1.0 - acc))


@dataclass(frozen=True)
class DawidSkene:
    """Fitted model: ``posterior[t]`` = P(person), ``errors[w, k, c]`` = P(answer k | truth c)."""

    posterior: np.ndarray
    prior: np.ndarray
    errors: np.ndarray
    iterations: int

    @property
    def labels(self) -> np.ndarray:
        return (self.posterior > 0.5).astype(np.int64)

    @property
    def sensitivity(self) -> np.ndarray:
        return self.errors[:, PERSON, PERSON]

    @property
    def specificity(self) -> np.ndarray:
        return self.errors[:, NO_PERSON, NO_PERSON]


def dawid_skene(
    answers: Answers, *, known: np.ndarray | None = None, n_iter: int = 100, tol: float = 1e-5
) -> DawidSkene:
    """Fit Dawid–Skene by EM, starting from the majority vote.

    ``known`` (n_tasks,) holds -1 for unknown tasks and 0/1 for tasks whose truth
    is known (honeypots): their probabilities are clamped to the truth every step.
    Tasks without answers keep the prior.
    """
    probas = _clamp(_normalise(answers.counts()), known)
    has = np.zeros(answers.n_tasks, dtype=bool)
    has[answers.tasks] = True
    prior = probas[has].mean(axis=0) if has.any() else np.full(2, 0.5)
    errors = _m_step(answers, probas)
    loss = -np.inf
    done = 0
    for done in range(1, n_iter + 1):  # noqa: B007 - the count is reported
        probas = _clamp(_e_step(answers, prior, errors), known)
        prior = probas[has].mean(axis=0)
        errors = _m_step(answers, probas)
        new_loss = _evidence_lower_bound(answers, probas, prior, errors) / max(len(answers.labels), 1)
        if new_loss - loss < tol:
            break
        loss = new_loss
    posterior = probas[:, PERSON].copy()
    posterior[~has] = prior[PERSON]
    return DawidSkene(posterior=posterior, prior=prior, errors=errors, iterations=done)


def _normalise(scores: np.ndarray) -> np.ndarray:
    total = scores.sum(axis=1, keepdims=True)
    return np.divide(scores, total, out=np.full_like(scores, 0.5), where=total > 0)


def _clamp(probas: np.ndarray, known: np.ndarray | None) -> np.ndarray:
    if known is None:
        return probas
    known = np.asarray(known)
    mask = known >= 0
    probas = probas.copy()
    probas[mask] = np.eye(2)[known[mask]]
    return probas


def _m_step(answers: Answers, probas: np.ndarray) -> np.ndarray:
    """errors[w, k, c]: expected count of worker w answering k on tasks of truth c, normalised over k."""
    errors = np.zeros((answers.n_workers, 2, 2), dtype=np.float64)
    np.add.at(errors, (answers.workers, answers.labels), probas[answers.tasks])
    errors = np.clip(errors, _EPS, None)
    return errors / errors.sum(axis=1, keepdims=True)


def _e_step(answers: Answers, prior: np.ndarray, errors: np.ndarray) -> np.ndarray:
    log_lik = np.tile(np.log(np.clip(prior, _EPS, None)), (answers.n_tasks, 1))
    np.add.at(log_lik, answers.tasks, np.log(errors[answers.workers, answers.labels]))
    log_lik -= log_lik.max(axis=1, keepdims=True)
    lik = np.exp(log_lik)
    return lik / lik.sum(axis=1, keepdims=True)


def _evidence_lower_bound(
    answers: Answers, probas: np.ndarray, prior: np.ndarray, errors: np.ndarray
) -> float:
    per_answer = np.log(errors[answers.workers, answers.labels]) + np.log(np.clip(prior, _EPS, None))
    joint = float((probas[answers.tasks] * per_answer).sum())
    clipped = np.clip(probas, _EPS, None)
    entropy = float(-(np.log(clipped) * clipped).sum())
    return joint + entropy


def tile_posterior(
    labels: np.ndarray, sensitivity: np.ndarray, specificity: np.ndarray, prior: float
) -> float:
    """P(person) for one tile from its answers (0/1) and each answerer's sensitivity/specificity."""
    labels = np.asarray(labels, dtype=np.int64)
    sens = np.clip(np.asarray(sensitivity, dtype=np.float64), 0.01, 0.99)
    spec = np.clip(np.asarray(specificity, dtype=np.float64), 0.01, 0.99)
    prior = min(max(prior, 1e-6), 1 - 1e-6)
    evidence = np.where(labels == PERSON, np.log(sens / (1 - spec)), np.log((1 - sens) / spec))
    log_odds = np.log(prior / (1 - prior)) + float(evidence.sum())
    return float(1.0 / (1.0 + np.exp(-log_odds)))
