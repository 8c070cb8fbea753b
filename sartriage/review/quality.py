"""Quality control of volunteers: known tiles, the entry check, and each volunteer's record on known tiles."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, delete, func, or_, select, update

from sartriage.errors import Forbidden
from sartriage.review.tables import ANS, RT, A, H, V
from sartriage.review.values import NO_ACCURACY, Accuracy, Progress, QueueSettings, exam_pass_mark
from sartriage.store import schema, utcnow
from sartriage.store.upsert import dialect_insert

log = logging.getLogger(__name__)

ACCURACY_BLOCK = 10  # a volunteer's own record moves only in blocks of this many answers


@dataclass(frozen=True)
class Exam:
    """A volunteer's entry check so far: answers, right answers, leases out, known tiles still to give."""

    answered: int
    correct: int
    in_flight: int
    unseen: int

    def size(self, wanted: int) -> int:
        """The check's length: ``wanted``, or fewer when the mission has fewer known tiles for them."""
        return min(wanted, self.answered + self.in_flight + self.unseen)


def unseen_honeypots(volunteer_id: int) -> list[ColumnElement[bool]]:
    """Active known tiles the volunteer was never given, as a known tile or as a tile to review."""
    seen = select(A.c.honeypot_id).where(A.c.volunteer_id == volunteer_id, A.c.honeypot_id.is_not(None))
    seen_tiles = select(A.c.tile_id).where(A.c.volunteer_id == volunteer_id, A.c.tile_id.is_not(None))
    return [
        H.c.active.is_(True),
        H.c.id.not_in(seen),
        or_(H.c.tile_id.is_(None), H.c.tile_id.not_in(seen_tiles)),
    ]


def exam_tally(conn: Connection, volunteer_id: int) -> Exam:
    rows = conn.execute(
        select(ANS.c.answer, H.c.truth)
        .select_from(ANS.join(A, A.c.id == ANS.c.assignment_id).join(H, H.c.id == ANS.c.honeypot_id))
        .where(ANS.c.volunteer_id == volunteer_id, A.c.kind == "exam")
    ).all()
    in_flight = conn.execute(
        select(func.count()).where(
            A.c.volunteer_id == volunteer_id, A.c.kind == "exam", A.c.state == "active"
        )
    ).scalar_one()
    unseen = conn.execute(
        select(func.count()).select_from(H).where(*unseen_honeypots(volunteer_id))
    ).scalar_one()
    return Exam(len(rows), sum(r.answer == r.truth for r in rows), int(in_flight), int(unseen))


def judge_exam(
    conn: Connection, settings: QueueSettings, volunteer_id: int, current: str
) -> tuple[str, Exam | None]:
    """Judge a pending entry check once all of it is answered; store and return the volunteer's exam
    state, with the check's tally while it is still pending."""
    s = settings
    if current == "waived" and s.exam_size > 0:
        # waived for want of known tiles: once the coordinator's decisions give some, a late check
        exam = exam_tally(conn, volunteer_id)
        if exam.size(s.exam_size) == 0:
            return current, None
        conn.execute(update(V).where(V.c.id == volunteer_id).values(exam_state="pending"))
        log.info("volunteer %d gets a late entry check: known tiles exist now", volunteer_id)
        return "pending", exam
    if current != "pending":
        return current, None
    exam = exam_tally(conn, volunteer_id)
    size = exam.size(s.exam_size)
    state = "pending"
    if size == 0:
        state = "waived"  # no entry check configured, or no known tiles in this mission yet
    elif exam.answered >= size:
        state = "passed" if exam.correct >= exam_pass_mark(size, s.exam_pass) else "failed"
    if state == "pending":
        return state, exam
    conn.execute(update(V).where(V.c.id == volunteer_id).values(exam_state=state))
    log.info("volunteer %d entry check: %s (%d of %d right)", volunteer_id, state, exam.correct, size)
    return state, None


def restart_exam(conn: Connection, settings: QueueSettings, me: Any) -> None:
    """Start the failed entry check of ``me`` (their volunteer row) afresh: see ``ReviewQueue.retry_exam``."""
    volunteer_id = me.id
    if me.role != "volunteer" or me.exam_state != "failed":
        raise Forbidden("only a failed entry check can be retried")
    if me.exam_retries >= settings.exam_retries:
        raise Forbidden("the entry check was already retried; ask the coordinator to invite you again")
    exam = select(A.c.id).where(A.c.volunteer_id == volunteer_id, A.c.kind == "exam")
    conn.execute(delete(ANS).where(ANS.c.assignment_id.in_(exam)))
    conn.execute(delete(A).where(A.c.volunteer_id == volunteer_id, A.c.kind == "exam"))
    conn.execute(
        update(V)
        .where(V.c.id == volunteer_id)
        .values(exam_state="pending", exam_retries=V.c.exam_retries + 1)
    )
    log.info("volunteer %d retries the entry check", volunteer_id)


def accuracies(
    conn: Connection, volunteer_ids: list[int], up_to_answer: int | None = None
) -> dict[int, Accuracy]:
    """Each volunteer's record on known tiles: honeypots served to them, and tiles later confirmed;
    with ``up_to_answer``, only over answers with ids up to it."""
    if not volunteer_ids:
        return {}
    query = (
        select(ANS.c.volunteer_id, ANS.c.answer, H.c.truth)
        .select_from(ANS.join(H, or_(ANS.c.honeypot_id == H.c.id, ANS.c.tile_id == H.c.tile_id)))
        .where(ANS.c.volunteer_id.in_(volunteer_ids))
    )
    if up_to_answer is not None:
        query = query.where(ANS.c.id <= up_to_answer)
    rows = conn.execute(query).all()
    tallies: dict[int, Counter[str]] = {}
    for r in rows:
        tally = tallies.setdefault(r.volunteer_id, Counter())
        if r.answer == "unsure":
            tally["unsure"] += 1
        elif r.truth == "person":
            tally["tp" if r.answer == "person" else "fn"] += 1
        else:
            tally["tn" if r.answer == "no_person" else "fp"] += 1
        tally["known"] += 1
    return {
        v: Accuracy(t["known"], t["tp"] + t["tn"], t["tp"], t["fn"], t["tn"], t["fp"], t["unsure"])
        for v, t in tallies.items()
    }


def shown_accuracy(conn: Connection, volunteer_id: int, answered: int) -> Accuracy:
    """The record a volunteer sees of themself: over whole blocks of ``ACCURACY_BLOCK`` answers, the
    newest block left out, so no single answer's change tells them a tile was a known one."""
    counted = (answered // ACCURACY_BLOCK - 1) * ACCURACY_BLOCK
    if counted <= 0:
        return NO_ACCURACY
    last = conn.execute(
        select(ANS.c.id)
        .where(ANS.c.volunteer_id == volunteer_id)
        .order_by(ANS.c.id)
        .offset(counted - 1)
        .limit(1)
    ).scalar_one()
    return accuracies(conn, [volunteer_id], up_to_answer=int(last)).get(volunteer_id, NO_ACCURACY)


def progress(conn: Connection, settings: QueueSettings, volunteer_id: int) -> Progress:
    s = settings
    answered = select(func.count()).where(ANS.c.volunteer_id == volunteer_id).scalar_subquery()
    open_tiles = select(func.count()).where(RT.c.state == "open").scalar_subquery()
    me = conn.execute(
        select(
            V.c.name,
            V.c.exam_state,
            V.c.exam_retries,
            answered.label("answered"),
            open_tiles.label("open_tiles"),
        ).where(V.c.id == volunteer_id)
    ).one()
    exam = exam_tally(conn, volunteer_id)
    accuracy = shown_accuracy(conn, volunteer_id, int(me.answered))
    judged = me.exam_state in ("passed", "failed")
    # a judged check was as long as its answers; a pending one as long as the known tiles allow
    size = exam.answered if judged else exam.size(s.exam_size) if me.exam_state == "pending" else 0
    return Progress(
        volunteer_id,
        me.name,
        me.exam_state,
        exam.answered,
        size,
        int(me.answered),
        accuracy,
        coarse_count(int(me.open_tiles)),
        exam_correct=exam.correct if judged else None,
        exam_needed=exam_pass_mark(size, s.exam_pass),
        exam_retries_left=max(0, s.exam_retries - int(me.exam_retries)),
    )


def coarse_count(n: int) -> int:
    """Open tiles as a volunteer sees them: exact up to 20, then in tens, so the count dropping right
    after an answer does not tell them the other volunteers agreed."""
    return n if n <= 20 else n - n % 10


def known_tiles_from_hits(conn: Connection) -> None:
    """Tiles whose hit the coordinator confirmed, found or rejected become known tiles."""
    hits = schema.hits
    decided = conn.execute(
        select(hits.c.tile_id, hits.c.status).where(hits.c.status.in_(("confirmed", "found", "rejected")))
    ).all()
    truths = {r.tile_id: ("no_person" if r.status == "rejected" else "person") for r in decided}
    for tile_id, truth in truths.items():
        source = "confirmed_empty" if truth == "no_person" else "confirmed_hit"
        known_tile(conn, tile_id, truth, source)
    if truths:  # the coordinator has decided them: volunteers' time goes to tiles nobody has
        conn.execute(
            update(RT)
            .where(RT.c.tile_id.in_(list(truths)), RT.c.state == "open")
            .values(state="decided", updated_at=utcnow())
        )


def known_tile(conn: Connection, tile_id: int, truth: str, source: str) -> None:
    stmt = dialect_insert(conn, H).values(
        tile_id=tile_id, truth=truth, source=source, active=True, created_at=utcnow()
    )
    conn.execute(
        stmt.on_conflict_do_update(index_elements=[H.c.tile_id], set_={"truth": truth, "source": source})
    )
