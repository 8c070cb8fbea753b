"""Answers: storing one, and what a tile's answers so far decide (close it, ask for more, escalate it,
the volunteers' candidate hit)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from contextlib import suppress
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import Connection, insert, select, update

from sartriage import hits
from sartriage.errors import Conflict, NotFound
from sartriage.review import aggregate as agg
from sartriage.review import leases, people, quality
from sartriage.review.tables import ANS, RT, A, E, V
from sartriage.review.values import ANSWER_VALUES, NO_ACCURACY, AnswerOutcome, QueueSettings
from sartriage.store.upsert import dialect_insert

# A "person" from a volunteer whose smoothed specificity on known tiles reaches the bar surfaces the tile to
# the coordinator at once, before others agree. In a crew of up to SMALL_CREW (a night search) a newcomer's
# assumed 0.8 qualifies and only one shown to cry "person" often does not; in a large crowd, where answers
# agree within minutes anyway, only a proven record does, so the coordinator is not flooded.
SMALL_CREW = 5
TRUSTED_SPECIFICITY = 0.7
PROVEN_SPECIFICITY = 0.9
PROVEN_EMPTY_TILES = 20  # known empty tiles answered before a record counts as proven


def answer(
    conn: Connection,
    settings: QueueSettings,
    draws: leases.Draws,
    volunteer_id: int,
    public_id: str,
    value: str,
    then_next: bool,
    holding: set[str],
    now: datetime,
) -> AnswerOutcome:
    """Store one answer inside the caller's transaction: see ``ReviewQueue.answer``."""
    me = people.touch(conn, volunteer_id, now)
    query = select(A).where(A.c.public_id == public_id, A.c.volunteer_id == volunteer_id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    lease = conn.execute(query).first()
    if lease is None:
        raise NotFound(f"no tile {public_id!r} among your assignments")
    repeated = lease.state == "answered"
    if repeated:
        stored = conn.execute(select(ANS.c.answer).where(ANS.c.assignment_id == lease.id)).scalar()
        if stored != value:
            raise Conflict(f"tile {public_id!r} was already answered {stored!r}; answers cannot be changed")
    elif lease.state != "active":
        raise Conflict(f"tile {public_id!r} was {lease.state} and went back to the queue; take the next")
    else:
        _store_answer(conn, settings, lease, value, now)
    upcoming = None
    if then_next:
        me = conn.execute(select(V).where(V.c.id == volunteer_id)).one()  # the exam may have ended
        with suppress(Conflict):  # enough tiles open on the page already
            upcoming, _ = leases.pick_next(conn, settings, draws, me, holding, now)
    return AnswerOutcome(public_id, value, repeated=repeated, next=upcoming)


def _store_answer(conn: Connection, settings: QueueSettings, lease: Any, value: str, now: datetime) -> None:
    conn.execute(update(A).where(A.c.id == lease.id).values(state="answered", answered_at=now))
    conn.execute(
        insert(ANS).values(
            assignment_id=lease.id,
            volunteer_id=lease.volunteer_id,
            tile_id=lease.tile_id,
            honeypot_id=lease.honeypot_id,
            answer=value,
            created_at=now,
        )
    )
    if lease.tile_id is not None:
        conn.execute(
            update(RT)
            .where(RT.c.tile_id == lease.tile_id)
            .values(answers=RT.c.answers + 1, inflight=RT.c.inflight - 1)
        )
        _decide_tile(conn, settings, lease.tile_id, now)
    elif lease.kind == "exam":
        state = conn.execute(select(V.c.exam_state).where(V.c.id == lease.volunteer_id)).scalar_one()
        quality.judge_exam(conn, settings, lease.volunteer_id, state)


def _decide_tile(conn: Connection, settings: QueueSettings, tile_id: int, now: datetime) -> None:
    """Close, extend or escalate one tile from its answers so far."""
    s = settings
    tile = conn.execute(select(RT).where(RT.c.tile_id == tile_id)).one()
    given = conn.execute(select(ANS.c.volunteer_id, ANS.c.answer).where(ANS.c.tile_id == tile_id)).all()
    posterior, informative, agree = _posterior(conn, settings, given)
    confident = posterior >= s.confidence or posterior <= 1 - s.confidence
    state, needed = tile.state, tile.needed
    # a tile never waits for more answers than there are volunteers at work: two at night can close
    # or escalate it between them
    crew = max(1, people.at_work(conn, now), len(given))
    if state == "open":
        if informative >= s.early_stop_answers and agree and confident:
            state = "done"
        elif len(given) >= min(needed, crew):
            if confident:
                state = "done"
            elif needed < min(s.max_overlap, crew):
                needed += 1
            elif len(given) < needed and posterior < s.candidate_threshold:
                state = "done"  # the whole crew has looked and leans "no one": not worth the coordinator
            else:
                state = "escalated"
    conn.execute(
        update(RT)
        .where(RT.c.tile_id == tile_id)
        .values(state=state, needed=needed, posterior=posterior, updated_at=now)
    )
    if state == "escalated" and tile.state == "open":
        votes = Counter(a.answer for a in given)
        reason = ", ".join(f"{votes[v]} {v.replace('_', ' ')}" for v in ANSWER_VALUES if votes[v])
        conn.execute(
            dialect_insert(conn, E)
            .values(tile_id=tile_id, created_at=now, posterior=posterior, reason=f"still disputed: {reason}")
            .on_conflict_do_nothing()
        )
    if state == "done" and posterior >= s.candidate_threshold:
        hits.volunteers_candidate(conn, tile_id, posterior, now)
    elif state != "done" and _trusted_person_answer(conn, settings, given, small_crew=crew <= SMALL_CREW):
        # missing a person costs far more than a second look: one trusted "person" reaches the
        # coordinator now (the app shows how many agreed), while the tile goes on collecting answers
        hits.volunteers_candidate(conn, tile_id, posterior, now)


def _trusted_person_answer(
    conn: Connection, settings: QueueSettings, given: Sequence[Any], small_crew: bool
) -> bool:
    """Whether a "person" answer comes from a volunteer whose "person" answers are usually right:
    in a small crew anyone not shown to cry "person" often; in a large one, a proven record."""
    saying = sorted({a.volunteer_id for a in given if a.answer == "person"})
    if not saying:
        return False
    s = settings
    accuracy = quality.accuracies(conn, saying)
    for v in saying:
        record = accuracy.get(v, NO_ACCURACY)
        specificity = record.smoothed(s.prior_accuracy, s.prior_strength)[1]
        if small_crew and specificity >= TRUSTED_SPECIFICITY:
            return True
        judged = record.true_neg + record.false_pos
        if judged >= PROVEN_EMPTY_TILES and specificity >= PROVEN_SPECIFICITY:
            return True
    return False


def _posterior(conn: Connection, settings: QueueSettings, given: Sequence[Any]) -> tuple[float, int, bool]:
    informative = [(a.volunteer_id, a.answer) for a in given if a.answer != "unsure"]
    if not informative:
        return settings.person_prior, 0, False
    accuracy = quality.accuracies(conn, sorted({v for v, _ in informative}))
    s = settings
    rates = [
        accuracy.get(v, NO_ACCURACY).smoothed(s.prior_accuracy, s.prior_strength) for v, _ in informative
    ]
    labels = np.array([1 if a == "person" else 0 for _, a in informative])
    p = agg.tile_posterior(
        labels, np.array([r[0] for r in rates]), np.array([r[1] for r in rates]), s.person_prior
    )
    return p, len(informative), len({a for _, a in informative}) == 1
