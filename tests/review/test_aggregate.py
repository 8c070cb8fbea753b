"""The numpy aggregation against crowd-kit's reference implementations on real-sized simulated crowds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sartriage.review import aggregate as agg

crowdkit = pytest.importorskip("crowdkit.aggregation", reason="crowd-kit is in the test extra")
# crowd-kit 1.4 uses pandas idioms pandas 3 deprecates; its warnings are not ours
pytestmark = pytest.mark.filterwarnings("ignore:::crowdkit")


def simulate(
    n_tasks: int, n_workers: int, seed: int, *, spammers: float = 0.0
) -> tuple[agg.Answers, np.ndarray]:
    """Workers of known accuracy (some answering at random) give 3 or 5 answers per task (odd: no ties)."""
    rng = np.random.default_rng(seed)
    truth = (rng.random(n_tasks) < 0.3).astype(np.int64)
    accuracy = rng.uniform(0.65, 0.95, n_workers)
    accuracy[: int(spammers * n_workers)] = 0.5
    per_task = rng.choice([3, 5], n_tasks, p=[0.7, 0.3])
    tasks = np.repeat(np.arange(n_tasks), per_task)
    workers = np.concatenate([rng.choice(n_workers, k, replace=False) for k in per_task])
    right = rng.random(len(tasks)) < accuracy[workers]
    labels = np.where(right, truth[tasks], 1 - truth[tasks])
    return agg.Answers(tasks, workers, labels, n_tasks, n_workers), truth


def frame(answers: agg.Answers) -> pd.DataFrame:
    return pd.DataFrame({"task": answers.tasks, "worker": answers.workers, "label": answers.labels})


@pytest.mark.parametrize(
    ("n_tasks", "n_workers", "seed", "spammers"), [(5000, 120, 1, 0.0), (6000, 200, 2, 0.2)]
)
def test_dawid_skene_gives_crowd_kits_labels(
    n_tasks: int, n_workers: int, seed: int, spammers: float
) -> None:
    answers, truth = simulate(n_tasks, n_workers, seed, spammers=spammers)
    reference = crowdkit.DawidSkene(n_iter=100).fit(frame(answers))
    ours = agg.dawid_skene(answers)
    ref_labels = reference.labels_.sort_index().to_numpy()
    assert np.array_equal(ours.labels, ref_labels)
    ref_posterior = reference.probas_.sort_index()[1].to_numpy()
    assert np.abs(ours.posterior - ref_posterior).max() < 1e-6
    assert (ours.labels == truth).mean() > 0.85


def test_majority_vote_gives_crowd_kits_labels() -> None:
    answers, _ = simulate(6000, 150, 3)
    reference = crowdkit.MajorityVote().fit_predict(frame(answers)).sort_index().to_numpy()
    assert np.array_equal(agg.majority_vote(answers) > 0.5, reference == 1)


def test_weighted_majority_gives_crowd_kits_weighted_labels() -> None:
    answers, _ = simulate(6000, 150, 4, spammers=0.3)
    weights = np.random.default_rng(4).uniform(0.1, 2.0, answers.n_workers)
    skills = pd.Series(weights, index=pd.Index(np.arange(answers.n_workers), name="worker"))
    reference = crowdkit.MajorityVote().fit_predict(frame(answers), skills=skills).sort_index().to_numpy()
    assert np.array_equal(agg.majority_vote(answers, weights) > 0.5, reference == 1)


def test_known_tasks_are_clamped_as_crowd_kits_golden_labels() -> None:
    answers, truth = simulate(4000, 100, 5, spammers=0.2)
    known = np.full(answers.n_tasks, -1)
    known[:300] = truth[:300]
    golden = pd.Series(truth[:300], index=pd.Index(np.arange(300), name="task"))
    reference = crowdkit.DawidSkene(n_iter=100).fit(frame(answers), true_labels=golden)
    ours = agg.dawid_skene(answers, known=known)
    assert np.array_equal(ours.labels, reference.labels_.sort_index().to_numpy())
    assert np.array_equal(ours.labels[:300], truth[:300])


def test_dawid_skene_beats_majority_and_a_single_worker_with_spammers() -> None:
    answers, truth = simulate(5000, 100, 6, spammers=0.3)
    single = (answers.labels == truth[answers.tasks]).mean()
    majority = ((agg.majority_vote(answers) > 0.5) == truth).mean()
    ds = agg.dawid_skene(answers)
    assert (ds.labels == truth).mean() > majority > single
    spammer_sens = ds.sensitivity[:30]
    assert np.abs(spammer_sens - 0.5).mean() < 0.15  # it learns who answers at random


def test_tasks_without_answers_keep_the_prior() -> None:
    answers = agg.Answers(
        np.array([0, 0, 0]), np.array([0, 1, 2]), np.array([1, 1, 0]), n_tasks=2, n_workers=3
    )
    fitted = agg.dawid_skene(answers)
    assert fitted.posterior[1] == pytest.approx(fitted.prior[1])
    assert np.isnan(agg.majority_vote(answers)[1])


@pytest.mark.parametrize(
    ("labels", "sens", "spec", "prior", "low", "high"),
    [
        ([], [], [], 0.5, 0.5, 0.5),
        ([1, 1], [0.9, 0.9], [0.9, 0.9], 0.5, 0.98, 0.99),
        ([0, 0, 0], [0.8, 0.8, 0.8], [0.8, 0.8, 0.8], 0.5, 0.01, 0.02),
        ([1, 0], [0.8, 0.8], [0.8, 0.8], 0.5, 0.5, 0.5),
        ([1], [0.95], [0.6], 0.1, 0.2, 0.22),
    ],
)
def test_tile_posterior(labels: list, sens: list, spec: list, prior: float, low: float, high: float) -> None:
    p = agg.tile_posterior(np.array(labels), np.array(sens), np.array(spec), prior)
    assert low - 1e-9 <= p <= high + 1e-9


@pytest.mark.parametrize(
    ("tasks", "workers", "labels", "message"),
    [
        ([0, 5], [0, 0], [1, 0], "task index"),
        ([0, 1], [0, 9], [1, 0], "worker index"),
        ([0, 1], [0, 1], [1, 2], "labels must be"),
        ([0], [0, 1], [1, 0], "one length"),
    ],
)
def test_answers_are_validated(tasks: list, workers: list, labels: list, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        agg.Answers(np.array(tasks), np.array(workers), np.array(labels), n_tasks=2, n_workers=2)


def test_from_keys_indexes_arbitrary_keys() -> None:
    answers, tasks, workers = agg.Answers.from_keys(["t9", "t2", "t9"], [7, 7, 3], [1, 0, 1])
    assert tasks == ["t2", "t9"] and workers == ["3", "7"]
    assert answers.tasks.tolist() == [1, 0, 1] and answers.workers.tolist() == [1, 1, 0]
