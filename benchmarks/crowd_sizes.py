"""How the review queue serves crews of 1 to 200 volunteers: who reaches the coordinator, how fast, at what
cost.

    .venv/bin/python benchmarks/crowd_sizes.py            # about a minute on 2 cores

For each crew size, 200 review tiles (one in ten holds a person) go through the real ``ReviewQueue`` on a
SQLite store with its default settings (overlap 3, closing early above P 0.97, entry checks and known tiles
off so every answer is on a mission tile). Volunteers answer in turns of 8 seconds each (a tile a volunteer
looks at, a realistic pace), with a sensitivity drawn from 0.65-0.9 (people from above are small and easy
to miss) and a specificity from 0.85-0.97. Printed per crew: the share of person tiles that reach the
coordinator (a volunteers' candidate or an escalation), the median and slowest time until they do,
answers spent per tile, and tiles the coordinator must look at.
"""

from __future__ import annotations

import logging
import sys
import tempfile
from pathlib import Path

import numpy as np
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "review"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from review_fixtures import grid_mission

from sartriage.review import QueueSettings, ReviewQueue
from sartriage.store import open_store, schema

CREWS = (1, 2, 3, 5, 20, 200)
TILES = 200
PERSON_SHARE = 0.1
SECONDS_PER_ANSWER = 8.0


def reached(store, tiles: set[int]) -> set[int]:  # type: ignore[no-untyped-def]
    with store.connect() as conn:
        hit_tiles = set(
            conn.execute(select(schema.hits.c.tile_id).where(schema.hits.c.source == "volunteers")).scalars()
        )
        escalated = set(conn.execute(select(schema.escalations.c.tile_id)).scalars())
    return (hit_tiles | escalated) & tiles


def simulate(crew: int, seed: int = 0) -> dict[str, float]:
    rng = np.random.default_rng([seed, 1])  # apart from grid_mission's scores: truth must not follow them
    with tempfile.TemporaryDirectory() as folder, open_store(Path(folder) / "crowd.sqlite") as store:
        mission = grid_mission(store, "frame.jpg", TILES // 4, seed=seed)
        truth = {t: bool(rng.random() < PERSON_SHARE) for t in mission.tile_ids}
        people = {t for t, p in truth.items() if p}
        queue = ReviewQueue(store, QueueSettings(exam_size=0, honeypot_rate=0, seed=seed, sync_seconds=0))
        volunteers = [queue.invite(f"v{i}")[0].id for i in range(crew)]
        sensitivity = dict(zip(volunteers, rng.uniform(0.65, 0.9, crew), strict=True))
        specificity = dict(zip(volunteers, rng.uniform(0.85, 0.97, crew), strict=True))
        first_reached: dict[int, float] = {}
        busy = set(volunteers)
        turn = 0
        while busy:
            turn += 1
            for v in list(busy):
                lease = queue.next_lease(v)
                if lease is None:
                    busy.discard(v)
                    continue
                right = rng.random() < (sensitivity[v] if truth[lease.tile_id] else specificity[v])
                said_person = truth[lease.tile_id] == right
                queue.answer(v, lease.public_id, "person" if said_person else "no_person")
            now = turn * SECONDS_PER_ANSWER
            for t in reached(store, people) - set(first_reached):
                first_reached[t] = now
        with store.connect() as conn:
            answers = len(conn.execute(select(schema.answers.c.id)).all())
        to_look = len(reached(store, set(mission.tile_ids)))
    times = sorted(first_reached.values())
    return {
        "crew": crew,
        "persons": len(people),
        "reached": len(first_reached) / len(people) if people else 1.0,
        "median_s": float(np.median(times)) if times else float("nan"),
        "slowest_s": times[-1] if times else float("nan"),
        "answers_per_tile": answers / len(mission.tile_ids),
        "coordinator_tiles": to_look,
    }


def main() -> None:
    logging.disable(logging.WARNING)  # the simulated frames have no pixels to place candidates with
    print(f"{TILES} review tiles, {PERSON_SHARE:.0%} with a person; {SECONDS_PER_ANSWER:g} s per answer")
    head = ("crew", "persons reached", "median", "slowest", "answers/tile", "to coordinator")
    print(f"{head[0]:>5} {head[1]:>16} {head[2]:>8} {head[3]:>8} {head[4]:>13} {head[5]:>15}")
    for crew in CREWS:
        r = simulate(crew)
        print(
            f"{r['crew']:>5} {r['reached']:>9.2f} of {r['persons']:<4} {r['median_s']:>7.0f}s "
            f"{r['slowest_s']:>7.0f}s {r['answers_per_tile']:>13.2f} {r['coordinator_tiles']:>15}"
        )


if __name__ == "__main__":
    main()
