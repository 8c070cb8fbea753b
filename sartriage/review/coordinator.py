"""The coordinator's side of the queue: its status, the answers per tile, escalations and their decisions,
and aggregation over the whole mission."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PurePath

import numpy as np
from sqlalchemy import Connection, func, select, update

from sartriage import hits
from sartriage.errors import Conflict, NotFound
from sartriage.review import aggregate as agg
from sartriage.review import quality
from sartriage.review.people import ACTIVE_SECONDS
from sartriage.review.tables import ANS, RT, A, E, H, V
from sartriage.review.values import NO_ACCURACY, Escalation, QueueSettings, QueueStatus, TileAnswers
from sartriage.store import schema, stored_utc, utcnow


@dataclass(frozen=True)
class AggregateReport:
    method: str
    tiles: int
    answers: int
    candidates_added: int
    iterations: int


# hit statuses that disagree with an escalation decided person / no person
_DISAGREES = {"person": ("rejected", "not_found"), "no_person": ("confirmed", "found")}


def _conflict(decision: str | None, tile_hits: Sequence[tuple[int, str]]) -> str | None:
    """Why a decided escalation's outcome disagrees with a decision on one of its tile's hits, if it does."""
    if decision is None:
        return None
    against = [(i, status) for i, status in tile_hits if status in _DISAGREES[decision]]
    if not against:
        return None
    listed = ", ".join(f"hit {i} is {status.replace('_', ' ')}" for i, status in against)
    return f"decided {decision.replace('_', ' ')}, but {listed}: that decision stands"


def status(conn: Connection) -> QueueStatus:
    since = utcnow() - timedelta(seconds=ACTIVE_SECONDS)
    states: dict[str, int] = {
        str(state): int(n)
        for state, n in conn.execute(select(RT.c.state, func.count()).group_by(RT.c.state)).all()
    }
    volunteers = conn.execute(select(func.count()).where(V.c.role == "volunteer")).scalar()
    active = conn.execute(
        select(func.count()).where(
            V.c.role == "volunteer", V.c.revoked_at.is_(None), V.c.last_seen_at >= since
        )
    ).scalar()
    return QueueStatus(
        open=int(states.get("open", 0)),
        done=int(states.get("done", 0)),
        escalated=int(states.get("escalated", 0)),
        decided=int(states.get("decided", 0)),
        answers=int(conn.execute(select(func.count()).select_from(ANS)).scalar() or 0),
        leased=int(conn.execute(select(func.count()).where(A.c.state == "active")).scalar() or 0),
        volunteers=int(volunteers or 0),
        active_volunteers=int(active or 0),
        candidates=int(
            conn.execute(
                select(func.count()).where(
                    schema.hits.c.source == "volunteers", schema.hits.c.status == "candidate"
                )
            ).scalar()
            or 0
        ),
        honeypots=int(conn.execute(select(func.count()).where(H.c.active.is_(True))).scalar() or 0),
        open_escalations=int(conn.execute(select(func.count()).where(E.c.decision.is_(None))).scalar() or 0),
    )


def _votes(conn: Connection, tile_ids: list[int]) -> dict[int, Counter[str]]:
    """Each tile's answers so far, counted by answer."""
    votes: dict[int, Counter[str]] = {tile_id: Counter() for tile_id in tile_ids}
    if votes:
        for tile_id, answer in conn.execute(
            select(ANS.c.tile_id, ANS.c.answer).where(ANS.c.tile_id.in_(list(votes)))
        ).all():
            votes[tile_id][answer] += 1
    return votes


def tile_answers(conn: Connection, states: Sequence[str]) -> list[TileAnswers]:
    """Per tile of the queue in ``states``: the answers so far, most "person" answers first."""
    fr, ti = schema.frames, schema.tiles
    rows = conn.execute(
        select(RT.c.tile_id, RT.c.state, RT.c.needed, RT.c.posterior, fr.c.path)
        .select_from(RT.join(ti, ti.c.id == RT.c.tile_id).join(fr, fr.c.id == ti.c.frame_id))
        .where(RT.c.state.in_(list(states)))
    ).all()
    votes = _votes(conn, [r.tile_id for r in rows])
    out = [
        TileAnswers(r.tile_id, PurePath(r.path).name, r.state, r.needed, dict(votes[r.tile_id]), r.posterior)
        for r in rows
    ]
    return sorted(out, key=lambda t: (-t.answers.get("person", 0), -(t.posterior or 0), t.tile_id))


def escalations(conn: Connection, *, open_only: bool) -> list[Escalation]:
    query = select(E).order_by(E.c.id)
    if open_only:
        query = query.where(E.c.decision.is_(None))
    rows = conn.execute(query).all()
    votes = _votes(conn, [r.tile_id for r in rows])
    tile_hits: dict[int, list[tuple[int, str]]] = {r.tile_id: [] for r in rows}
    if rows:
        for hit_id, tile_id, status in conn.execute(
            select(schema.hits.c.id, schema.hits.c.tile_id, schema.hits.c.status)
            .where(schema.hits.c.tile_id.in_(list(votes)))
            .order_by(schema.hits.c.id)
        ).all():
            tile_hits[tile_id].append((hit_id, status))
    return [
        Escalation(
            r.id,
            r.tile_id,
            stored_utc(r.created_at),
            r.posterior,
            r.reason,
            dict(votes[r.tile_id]),
            r.decision,
            _conflict(r.decision, tile_hits[r.tile_id]),
        )
        for r in rows
    ]


def decide(
    conn: Connection, escalation_id: int, decision: str, coordinator_id: int | None, now: datetime
) -> None:
    """The coordinator's call on a disputed tile; it also becomes a known tile for honeypots."""
    row = conn.execute(select(E).where(E.c.id == escalation_id)).first()
    if row is None:
        raise NotFound(f"no escalation with id {escalation_id}")
    if row.decision is not None and row.decision != decision:
        raise Conflict(f"escalation {escalation_id} was already decided {row.decision!r}")
    conn.execute(
        update(E)
        .where(E.c.id == escalation_id)
        .values(decision=decision, decided_at=now, decided_by=coordinator_id)
    )
    posterior = 1.0 if decision == "person" else 0.0
    conn.execute(
        update(RT)
        .where(RT.c.tile_id == row.tile_id)
        .values(state="decided", posterior=posterior, updated_at=now)
    )
    if decision == "person":
        hits.volunteers_candidate(conn, row.tile_id, posterior, now, status="confirmed")
    quality.known_tile(conn, row.tile_id, decision, "coordinator")


def aggregate(conn: Connection, settings: QueueSettings, method: str) -> AggregateReport:
    """Re-estimate every answered tile's P(person) with all answers at once; add candidates."""
    rows = conn.execute(
        select(ANS.c.tile_id, ANS.c.honeypot_id, ANS.c.volunteer_id, ANS.c.answer).where(
            ANS.c.answer != "unsure"
        )
    ).all()
    if not rows:
        return AggregateReport(method, 0, 0, 0, 0)
    truths = {(r.tile_id, r.id): r.truth for r in conn.execute(select(H.c.id, H.c.tile_id, H.c.truth)).all()}
    by_tile = {t: truth for (t, _), truth in truths.items() if t is not None}
    by_honeypot = {h: truth for (_, h), truth in truths.items()}
    keys = [f"t{r.tile_id}" if r.tile_id is not None else f"h{r.honeypot_id}" for r in rows]
    answers, task_keys, worker_keys = agg.Answers.from_keys(
        keys, [r.volunteer_id for r in rows], [1 if r.answer == "person" else 0 for r in rows]
    )
    truth_of = {"person": 1, "no_person": 0}
    known = np.array(
        [
            truth_of.get(str(by_tile.get(int(k[1:])) if k[0] == "t" else by_honeypot.get(int(k[1:]))), -1)
            for k in task_keys
        ]
    )
    if method == "dawid_skene":
        model = agg.dawid_skene(answers, known=known)
        posterior, iterations = model.posterior, model.iterations
    else:
        accuracy = quality.accuracies(conn, [int(w) for w in worker_keys])
        s = settings
        mean_acc = np.array(
            [
                np.mean(accuracy.get(int(w), NO_ACCURACY).smoothed(s.prior_accuracy, s.prior_strength))
                for w in worker_keys
            ]
        )
        posterior, iterations = agg.majority_vote(answers, agg.accuracy_weights(mean_acc)), 1
    now = utcnow()
    tiles = {int(k[1:]): float(p) for k, p in zip(task_keys, posterior, strict=True) if k[0] == "t"}
    states = dict(conn.execute(select(RT.c.tile_id, RT.c.state).where(RT.c.tile_id.in_(list(tiles)))).all())
    added = 0
    for tile_id, p in tiles.items():
        if tile_id not in states or states[tile_id] == "decided":
            continue
        conn.execute(update(RT).where(RT.c.tile_id == tile_id).values(posterior=p, updated_at=now))
        if states[tile_id] != "open" and p >= settings.candidate_threshold:
            added += hits.volunteers_candidate(conn, tile_id, p, now)
    return AggregateReport(method, len(tiles), len(rows), added, int(iterations))
