"""Every rule of the review queue, on SQLite and PostgreSQL, with simulated volunteers of known accuracy."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from hit_rows import add_detection
from review_fixtures import (
    add_flight,
    add_frame,
    add_tiles,
    confirm,
    expire_all,
    grid_mission,
    make_queue,
    review_row,
)
from sqlalchemy import func, select

from sartriage import hits
from sartriage.errors import ReviewError
from sartriage.review import Conflict, Forbidden, NotFound, QueueSettings, ReviewQueue
from sartriage.review.values import exam_pass_mark
from sartriage.store import Store, open_store, schema


@pytest.fixture
def store(store_target: str) -> Store:
    with open_store(store_target) as opened:
        yield opened


def answer_all(queue: ReviewQueue, volunteer: int, oracle, limit: int = 10_000) -> int:
    """Let one volunteer take and answer tiles until the queue has none for them."""
    done = 0
    while done < limit:
        lease = queue.next_lease(volunteer)
        if lease is None:
            return done
        queue.answer(volunteer, lease.public_id, oracle(lease))
        done += 1
    return done


def fixed(value: str):
    return lambda lease: value


def answers_per_tile(store: Store) -> Counter[int]:
    with store.connect() as conn:
        rows = conn.execute(
            select(schema.answers.c.tile_id).where(schema.answers.c.tile_id.is_not(None))
        ).all()
    return Counter(r.tile_id for r in rows)


def test_each_tile_gets_overlap_answers_from_different_volunteers(store: Store, heridal_image: Path) -> None:
    mission = grid_mission(store, heridal_image, 2)
    queue = make_queue(store, overlap=3, early_stop_answers=3)
    people = [queue.invite(f"v{i}")[0].id for i in range(5)]
    for v in people:
        answer_all(queue, v, fixed("no_person"))
    counts = answers_per_tile(store)
    assert counts == {t: 3 for t in mission.tile_ids}
    with store.connect() as conn:
        pairs = conn.execute(select(schema.answers.c.volunteer_id, schema.answers.c.tile_id)).all()
    assert len(pairs) == len(set(pairs))
    assert {review_row(store, t)["state"] for t in mission.tile_ids} == {"done"}


def test_agreeing_reliable_volunteers_close_a_tile_early(store: Store, heridal_image: Path) -> None:
    mission = grid_mission(store, heridal_image, 1)
    queue = make_queue(store, overlap=3, early_stop_answers=2, prior_accuracy=0.95)
    a, b, c = (queue.invite(n)[0].id for n in "abc")
    first = mission.tile_ids
    answer_all(queue, a, fixed("no_person"))
    answer_all(queue, b, fixed("no_person"))
    rows = [review_row(store, t) for t in first]
    assert [(r["state"], r["answers"]) for r in rows] == [("done", 2)] * len(first)
    assert all(r["posterior"] < 0.03 for r in rows)
    assert queue.next_lease(c) is None  # nothing left: the third answer was not needed


def test_disagreement_asks_for_more_answers_then_escalates(store: Store, heridal_image: Path) -> None:
    flight = add_flight(store, "f")
    frame = add_frame(store, flight, heridal_image, width=340, height=340)
    (tile,) = add_tiles(store, frame, [(0, 0, 170, 170)], [0.5])
    queue = make_queue(store, overlap=3, max_overlap=5)
    votes = ["person", "no_person", "person", "no_person", "unsure"]
    people = [queue.invite(f"v{i}")[0].id for i in range(len(votes) + 1)]
    needed = []
    for v, vote in zip(people, votes, strict=False):
        lease = queue.next_lease(v)
        assert lease is not None and lease.tile_id == tile
        queue.answer(v, lease.public_id, vote)
        needed.append(review_row(store, tile)["needed"])
    assert needed == [3, 3, 4, 5, 5]
    assert review_row(store, tile)["state"] == "escalated"
    assert queue.next_lease(people[-1]) is None  # never more than max_overlap answers
    (escalation,) = queue.escalations()
    assert escalation.tile_id == tile and escalation.answers == {"person": 2, "no_person": 2, "unsure": 1}
    decided = queue.decide(escalation.id, "person")
    assert decided.decision == "person" and queue.escalations() == []
    assert review_row(store, tile)["state"] == "decided"
    with store.connect() as conn:
        hit = conn.execute(select(schema.hits).where(schema.hits.c.tile_id == tile)).one()
        known = conn.execute(select(schema.honeypots).where(schema.honeypots.c.tile_id == tile)).one()
    assert (hit.source, hit.status) == ("volunteers", "confirmed")
    assert (known.truth, known.source) == ("person", "coordinator")


def serving_order(queue: ReviewQueue) -> list[int]:
    """The tiles one volunteer is served, in order, answering each "unsure" (with overlap 1, until none)."""
    v = queue.invite("v")[0].id
    served = []
    while (lease := queue.next_lease(v)) is not None:
        served.append(lease.tile_id)
        queue.answer(v, lease.public_id, "unsure")
    return served


def test_tiles_come_by_raise_then_score_then_newest_flight(store: Store, heridal_image: Path) -> None:
    old, new = add_flight(store, "old", age_hours=5), add_flight(store, "new")
    old_frame = add_frame(store, old, heridal_image, width=340, height=340, lon=15.0, lat=45.0)
    new_frame = add_frame(store, new, f"{heridal_image}#2", width=340, height=340, lon=16.0, lat=46.0)
    old_low, old_high = add_tiles(store, old_frame, [(0, 0, 170, 170), (170, 0, 170, 170)], [0.3, 0.6])
    new_low, new_high = add_tiles(store, new_frame, [(0, 0, 170, 170), (170, 0, 170, 170)], [0.3, 0.6])
    queue = make_queue(store, overlap=1, max_overlap=1)
    served = serving_order(queue)
    assert served == [new_high, old_high, new_low, old_low]
    assert queue.raise_flight(old, 5) == 2
    assert queue.raise_area(15.5, 45.5, 16.5, 46.5, 10) == 2  # the new flight's frame centre lies inside
    with store.connect() as conn:
        boosts = dict(conn.execute(select(schema.review_tiles.c.tile_id, schema.review_tiles.c.boost)).all())
    assert boosts == {old_low: 5, old_high: 5, new_low: 10, new_high: 10}
    with pytest.raises(NotFound):
        queue.raise_flight(9999)
    with pytest.raises(ReviewError, match="west < east"):
        queue.raise_area(10, 40, 5, 50)


def test_a_tile_sent_on_a_clue_ranks_by_the_clue_score(store: Store, heridal_image: Path) -> None:
    """A person the model calls a kite (the Lacmus snowfield) waits behind no weaker person tile."""
    flight = add_flight(store, "f")
    frame = add_frame(store, flight, heridal_image, width=340, height=340)
    weak, kite, plain = add_tiles(
        store, frame, [(0, 0, 170, 170), (170, 0, 170, 170), (0, 170, 170, 170)], [0.3, 0.08, 0.2]
    )
    with store.begin() as conn:
        add_detection(conn, frame, kite, (200, 40, 214, 70), 0.52, clue_class=38)  # COCO 38: kite
        add_detection(conn, frame, weak, (20, 40, 34, 70), 0.3)
    queue = make_queue(store, overlap=1, max_overlap=1)
    served = serving_order(queue)
    assert served == [kite, weak, plain]


def test_a_tile_held_by_one_volunteer_is_not_served_again_when_it_needs_one_answer(
    store: Store, heridal_image: Path
) -> None:
    flight = add_flight(store, "f")
    frame = add_frame(store, flight, heridal_image, width=340, height=340)
    high, low = add_tiles(store, frame, [(0, 0, 170, 170), (170, 0, 170, 170)], [0.6, 0.3])
    queue = make_queue(store, overlap=1, max_overlap=1)
    first, second, third = (queue.invite(name)[0].id for name in ("a", "b", "c"))
    held = queue.next_lease(first)
    assert held is not None and held.tile_id == high
    other = queue.next_lease(second)  # the first still holds the high tile: the second gets the next one
    assert other is not None and other.tile_id == low
    assert queue.next_lease(third) is None  # both tiles are held and each needs one answer


def test_raised_priority_changes_what_is_served_next(store: Store, heridal_image: Path) -> None:
    old, new = add_flight(store, "old", age_hours=5), add_flight(store, "new")
    old_tile = add_tiles(
        store, add_frame(store, old, heridal_image, width=340, height=340), [(0, 0, 9, 9)], [0.2]
    )
    new_tile = add_tiles(
        store, add_frame(store, new, f"{heridal_image}#", width=340, height=340), [(0, 0, 9, 9)], [0.2]
    )
    queue = make_queue(store)
    v = queue.invite("v")[0].id
    assert queue.next_lease(v).tile_id == new_tile[0]  # same score: the newest flight first
    queue.raise_flight(old, 1)
    w = queue.invite("w")[0].id
    assert queue.next_lease(w).tile_id == old_tile[0]


def test_an_unanswered_lease_returns_to_the_queue_and_never_to_the_same_volunteer(
    store: Store, heridal_image: Path
) -> None:
    flight = add_flight(store, "f")
    frame = add_frame(store, flight, heridal_image, width=340, height=340)
    (tile,) = add_tiles(store, frame, [(0, 0, 170, 170)], [0.5])
    queue = make_queue(store, overlap=1, lease_minutes=5)
    slow, other = queue.invite("slow")[0].id, queue.invite("other")[0].id
    lease = queue.next_lease(slow)
    assert queue.next_lease(other) is None  # leased: the only answer it needs is taken
    expire_all(store)
    assert queue.expire_leases() == 1
    assert review_row(store, tile)["inflight"] == 0
    with pytest.raises(Conflict, match="expired"):
        queue.answer(slow, lease.public_id, "person")
    assert queue.next_lease(slow) is None  # seen once: never again
    again = queue.next_lease(other)
    assert again is not None and again.tile_id == tile


def test_the_page_gets_a_new_tile_while_holding_one_and_a_reload_resumes(
    store: Store, heridal_image: Path
) -> None:
    grid_mission(store, heridal_image, 1)
    queue = make_queue(store, max_open_leases=2)
    v = queue.invite("v")[0].id
    first = queue.next_lease(v)
    second = queue.next_lease(v, holding=[first.public_id])
    assert second.tile_id != first.tile_id
    assert queue.next_lease(v).public_id == first.public_id  # a reload shows the open tile again
    with pytest.raises(Conflict, match="answer one"):
        queue.next_lease(v, holding=[first.public_id, second.public_id])


def test_nobody_reaches_anothers_lease(store: Store, heridal_image: Path) -> None:
    grid_mission(store, heridal_image, 1)
    queue = make_queue(store)
    mine, theirs = queue.invite("me")[0].id, queue.invite("them")[0].id
    lease = queue.next_lease(theirs)
    with pytest.raises(NotFound):
        queue.lease(mine, lease.public_id)
    with pytest.raises(NotFound):
        queue.answer(mine, lease.public_id, "person")
    queue.answer(theirs, lease.public_id, "person")
    assert queue.answer(theirs, lease.public_id, "person").repeated  # a retried request is acknowledged
    with pytest.raises(Conflict, match="cannot be changed"):
        queue.answer(theirs, lease.public_id, "no_person")
    # what a volunteer is given carries no one else's answers
    assert not {"answers", "posterior", "votes"} & set(vars(queue.next_lease(mine)))


def test_confirmed_hits_and_empty_tiles_become_honeypots_and_measure_accuracy(
    store: Store, heridal_image: Path
) -> None:
    mission = grid_mission(store, heridal_image, 2)
    person_tiles, empty_tiles = mission.tile_ids[:2], mission.tile_ids[2:4]
    for t in person_tiles:
        confirm(store, t, "confirmed")
    for t in empty_tiles:
        confirm(store, t, "rejected")
    queue = make_queue(store, honeypot_rate=1.0)
    v = queue.invite("v")[0].id
    served = []
    for _ in range(4):
        lease = queue.next_lease(v)
        assert lease.kind == "honeypot"
        served.append(lease)
        with store.connect() as conn:
            truth = conn.execute(
                select(schema.honeypots.c.truth, schema.honeypots.c.tile_id).where(
                    schema.honeypots.c.id == lease.honeypot_id
                )
            ).one()
        # says "person" on everything: every person found, every empty tile a false alarm
        queue.answer(v, lease.public_id, "person")
        assert truth.tile_id in person_tiles + empty_tiles
    assert len({s.honeypot_id for s in served}) == 4
    ((_who, _answers, accuracy),) = queue.volunteers()  # the coordinator's view: every answer counts at once
    assert (accuracy.sensitivity, accuracy.specificity, accuracy.known_answered) == (1.0, 0.0, 4)
    assert queue.progress(v).accuracy.known_answered == 0  # the volunteer's own view waits (see below)
    lease = queue.next_lease(v)  # honeypots used up: real work follows
    assert lease.kind == "review" and lease.tile_id not in person_tiles + empty_tiles


def test_entry_exam_comes_first_and_failing_it_stops_the_volunteer(store: Store, heridal_image: Path) -> None:
    mission = grid_mission(store, heridal_image, 2)
    for t in mission.tile_ids[:3]:
        confirm(store, t, "confirmed")
    queue = make_queue(store, exam_size=3, exam_pass=0.6)
    good, bad = queue.invite("good")[0].id, queue.invite("bad")[0].id
    for v, say in ((good, "person"), (bad, "no_person")):
        for _ in range(3):
            lease = queue.next_lease(v)
            assert lease.kind == "exam"
            queue.answer(v, lease.public_id, say)
    assert queue.progress(good).exam_state == "passed"
    assert queue.progress(bad).exam_state == "failed"
    assert queue.next_lease(good).kind == "review"
    with pytest.raises(Forbidden, match="entry check"):
        queue.next_lease(bad)
    assert not answers_per_tile(store)  # no answer on a real tile before the exam is passed


def test_exam_is_waived_while_the_mission_has_no_known_tiles(store: Store, heridal_image: Path) -> None:
    grid_mission(store, heridal_image, 1)
    queue = make_queue(store, exam_size=5)
    v = queue.invite("v")[0].id
    assert queue.next_lease(v).kind == "review"
    assert queue.progress(v).exam_state == "waived"


@pytest.mark.parametrize(
    ("size", "share", "needed"),
    [(5, 0.8, 4), (4, 0.8, 3), (3, 0.8, 2), (2, 0.8, 1), (1, 0.8, 1), (10, 0.8, 8), (5, 1.0, 5), (0, 0.8, 0)],
)
def test_the_entry_check_allows_slips_in_proportion_to_its_size(size: int, share: float, needed: int) -> None:
    assert exam_pass_mark(size, share) == needed


def known_tiles(store: Store, heridal_image: Path, n: int) -> list[int]:
    """A mission whose coordinator confirmed a person on ``n`` of its tiles: ``n`` known tiles."""
    mission = grid_mission(store, heridal_image, 2)
    for t in mission.tile_ids[:n]:
        confirm(store, t, "confirmed")
    return mission.tile_ids[:n]


def test_the_entry_check_is_as_long_as_the_known_tiles_allow(store: Store, heridal_image: Path) -> None:
    known_tiles(store, heridal_image, 2)
    queue = make_queue(store, exam_size=5)
    v = queue.invite("v")[0].id
    queue.join(v)
    assert (queue.progress(v).exam_size, queue.progress(v).exam_needed) == (2, 1)
    # the page shows one known tile and prefetched the other: the first answer does not end the check
    shown = queue.next_lease(v)
    prefetched = queue.next_lease(v, holding=[shown.public_id])
    assert (shown.kind, prefetched.kind) == ("exam", "exam")
    outcome = queue.answer(v, shown.public_id, "no_person", then_next=True, holding=[prefetched.public_id])
    assert outcome.next is None and queue.progress(v).exam_state == "pending"
    # one slip on a two-tile check passes it
    queue.answer(v, prefetched.public_id, "person")
    progress = queue.progress(v)
    assert (progress.exam_state, progress.exam_answered, progress.exam_size) == ("passed", 2, 2)
    assert (progress.exam_correct, progress.exam_needed) == (1, 1)
    assert queue.next_lease(v).kind == "review"


def test_without_known_tiles_there_is_no_entry_check(store: Store, heridal_image: Path) -> None:
    grid_mission(store, heridal_image, 1)
    queue = make_queue(store, exam_size=5)
    v = queue.invite("v")[0].id
    queue.join(v)
    progress = queue.progress(v)
    assert (progress.exam_state, progress.exam_size) == ("waived", 0)


def test_a_failed_entry_check_may_be_retried_once(store: Store, heridal_image: Path) -> None:
    known_tiles(store, heridal_image, 2)
    queue = make_queue(store, exam_size=5)
    v = queue.invite("v")[0].id

    def take_check(say: str) -> None:
        for _ in range(2):
            lease = queue.next_lease(v)
            assert lease.kind == "exam"
            queue.answer(v, lease.public_id, say)

    with pytest.raises(Forbidden, match="only a failed entry check"):
        queue.retry_exam(v)
    take_check("no_person")
    progress = queue.progress(v)
    assert (progress.exam_state, progress.exam_correct, progress.exam_needed) == ("failed", 0, 1)
    assert progress.exam_retries_left == 1
    with pytest.raises(Forbidden, match="retry"):
        queue.next_lease(v)

    assert queue.retry_exam(v).exam_state == "pending"
    progress = queue.progress(v)
    assert (progress.exam_state, progress.exam_answered, progress.exam_size) == ("pending", 0, 2)
    assert progress.exam_retries_left == 0 and progress.accuracy.known_answered == 0
    take_check("no_person")  # the same two known tiles come again
    assert queue.progress(v).exam_state == "failed"
    with pytest.raises(Forbidden, match="already retried"):
        queue.retry_exam(v)
    with pytest.raises(Forbidden, match="also on the retry"):
        queue.next_lease(v)
    assert not answers_per_tile(store)  # no answer on a real tile


def test_revoked_volunteer_loses_access_and_their_leases_return(store: Store, heridal_image: Path) -> None:
    mission = grid_mission(store, heridal_image, 1)
    queue = make_queue(store)
    person, token = queue.invite("Anna Petrova")
    assert queue.authenticate(token).id == person.id
    lease = queue.next_lease(person.id)
    queue.revoke(person.id)
    assert queue.authenticate(token) is None
    assert review_row(store, lease.tile_id)["inflight"] == 0
    with pytest.raises(Forbidden, match="revoked"):
        queue.next_lease(person.id)
    assert len(mission.tile_ids) == 4


def test_tokens_are_stored_only_hashed(store: Store) -> None:
    queue = make_queue(store)
    _, token = queue.invite("v")
    coordinator = queue.coordinator_token()
    with store.connect() as conn:
        stored = conn.execute(select(schema.volunteers.c.token_hash)).scalars().all()
    assert token not in stored and coordinator not in stored and len(stored) == 2
    assert queue.authenticate(coordinator).is_coordinator
    assert queue.authenticate("not-a-token") is None


def test_cleared_quality_check_tiles_are_queued_and_plain_cleared_ones_are_not(
    store: Store, heridal_image: Path
) -> None:
    flight = add_flight(store, "f")
    frame = add_frame(store, flight, heridal_image, width=340, height=340)
    checked = add_tiles(store, frame, [(0, 0, 9, 9)], [0.01], state="cleared", quality_check=True)
    add_tiles(store, frame, [(9, 0, 9, 9)], [0.01], state="cleared")
    add_tiles(store, frame, [(18, 0, 9, 9)], [0.99], state="flagged")
    queue = make_queue(store)
    assert queue.sync() == 1
    with store.connect() as conn:
        assert conn.execute(select(schema.review_tiles.c.tile_id)).scalars().all() == checked


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"overlap": 0}, "overlap"),
        ({"overlap": 4, "max_overlap": 3}, "overlap"),
        ({"confidence": 0.4}, "confidence"),
        ({"honeypot_rate": 1.5}, "honeypot_rate"),
        ({"lease_minutes": 0}, "lease_minutes"),
    ],
)
def test_impossible_settings_are_refused(settings: dict, message: str) -> None:
    with pytest.raises(ReviewError, match=message):
        QueueSettings(**settings)


def simulate(queue: ReviewQueue, truth: dict[int, bool], accuracy: list[float], seed: int) -> dict[int, str]:
    """Volunteers of known accuracy take turns until the queue is empty; their answers per tile."""
    rng = np.random.default_rng(seed)
    people = [queue.invite(f"sim{i}")[0].id for i in range(len(accuracy))]
    acc = dict(zip(people, accuracy, strict=True))
    active = list(people)
    given: dict[tuple[int, int], str] = {}
    while active:
        for v in list(active):
            try:
                lease = queue.next_lease(v)
            except Forbidden:  # failed the entry check
                lease = None
            if lease is None:
                active.remove(v)
                continue
            right = rng.random() < acc[v]
            is_person = truth[lease.tile_id] if lease.tile_id else None
            if lease.tile_id is None:
                with queue.store.connect() as conn:
                    is_person = (
                        conn.execute(
                            select(schema.honeypots.c.truth).where(schema.honeypots.c.id == lease.honeypot_id)
                        ).scalar()
                        == "person"
                    )
            value = "person" if is_person == right else "no_person"
            queue.answer(v, lease.public_id, value)
            if lease.tile_id:
                given[(v, lease.tile_id)] = value
    return given


def test_aggregated_answers_beat_a_single_volunteer(tmp_path: Path, heridal_image: Path) -> None:
    with open_store(tmp_path / "sim.sqlite") as store:
        mission = grid_mission(store, heridal_image, 30)
        rng = np.random.default_rng(3)
        truth = {t: bool(rng.random() < 0.3) for t in mission.tile_ids}
        for t in mission.tile_ids[:10]:  # ten tiles the coordinator already judged: honeypots
            confirm(store, t, "confirmed" if truth[t] else "rejected")
        # an all-correct entry check of 4 keeps about a third of these 0.75-accurate volunteers: the crew
        # whose figures this simulation checks
        queue = make_queue(store, exam_size=4, exam_pass=1.0, honeypot_rate=0.1, overlap=3, max_overlap=5)
        given = simulate(queue, truth, [0.75] * 12, seed=5)
        single = np.mean([(v == "person") == truth[t] for (_, t), v in given.items()])
        report = queue.aggregate("dawid_skene")
        with store.connect() as conn:
            rows = conn.execute(select(schema.review_tiles)).all()
            escalated = conn.execute(select(func.count()).select_from(schema.escalations)).scalar()
        judged = [r for r in rows if r.tile_id not in mission.tile_ids[:10] and r.posterior is not None]
        combined = np.mean([(r.posterior >= 0.5) == truth[r.tile_id] for r in judged])
        assert report.tiles >= len(judged) > 80
        assert combined > single + 0.05, (combined, single)
        assert max(r.answers for r in rows) <= 5
        assert escalated == sum(r.state == "escalated" for r in rows)
        with store.connect() as conn:
            candidates = (
                conn.execute(select(schema.hits.c.tile_id).where(schema.hits.c.source == "volunteers"))
                .scalars()
                .all()
            )
        assert candidates and np.mean([truth[t] for t in candidates]) > 0.8


def test_an_answer_can_bring_the_next_tile_in_the_same_transaction(store: Store, heridal_image: Path) -> None:
    mission = grid_mission(store, heridal_image, 1)
    queue = make_queue(store, overlap=1, max_overlap=1)
    v = queue.invite("v")[0].id
    shown = queue.next_lease(v)
    prefetched = queue.next_lease(v, holding=[shown.public_id])
    outcome = queue.answer(v, shown.public_id, "no_person", then_next=True, holding=[prefetched.public_id])
    assert outcome.next is not None
    assert outcome.next.tile_id not in (shown.tile_id, prefetched.tile_id)
    again = queue.answer(v, shown.public_id, "no_person", then_next=True, holding=[prefetched.public_id])
    assert again.repeated and again.next.public_id == outcome.next.public_id  # a retry gets the same tile
    served = [shown.tile_id, prefetched.tile_id, outcome.next.tile_id]
    last = queue.answer(v, prefetched.public_id, "unsure", then_next=True, holding=[outcome.next.public_id])
    served.append(last.next.tile_id)
    assert sorted(served) == sorted(mission.tile_ids)
    final = queue.answer(v, outcome.next.public_id, "unsure", then_next=True, holding=[last.next.public_id])
    assert final.next is None  # every tile is served or answered


def test_two_processes_on_one_sqlite_store_never_over_assign(tmp_path: Path, heridal_image: Path) -> None:
    """Two queues with their own engines (as two server processes, or a server and the CLI) at once."""
    import threading

    path = tmp_path / "shared.sqlite"
    with open_store(path) as first_store, open_store(path) as second_store:
        mission = grid_mission(first_store, heridal_image, 5)
        for t in mission.tile_ids[:2]:  # each sync then reads, then writes honeypots
            confirm(first_store, t, "rejected")
        queues = [make_queue(s, overlap=2, max_overlap=2) for s in (first_store, second_store)]
        people = [queues[0].invite(f"v{i}")[0].id for i in range(8)]
        errors: list[BaseException] = []

        def work(i: int) -> None:
            try:
                answer_all(queues[i % 2], people[i], fixed("no_person"))
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(len(people))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        # the two tiles the coordinator decided are known tiles now, off the review queue
        decided = set(mission.tile_ids[:2])
        assert answers_per_tile(first_store) == {t: 2 for t in mission.tile_ids if t not in decided}


def test_an_area_raise_also_lifts_tiles_scanned_later(store: Store, heridal_image: Path) -> None:
    queue = make_queue(store)
    queue.raise_area(15.0, 45.0, 16.0, 46.0, 7)
    flight = add_flight(store, "later")
    inside = add_frame(store, flight, heridal_image, width=340, height=340, lon=15.5, lat=45.5)
    outside = add_frame(store, flight, f"{heridal_image}#out", width=340, height=340, lon=17.0, lat=45.5)
    (lifted,) = add_tiles(store, inside, [(0, 0, 9, 9)], [0.1])
    (plain,) = add_tiles(store, outside, [(0, 0, 9, 9)], [0.9])
    assert queue.sync() == 2
    assert (review_row(store, lifted)["boost"], review_row(store, plain)["boost"]) == (7, 0)
    assert queue.next_lease(queue.invite("v")[0].id).tile_id == lifted  # despite the lower score


@pytest.mark.parametrize("rate", [0.2, 0.5])
def test_honeypots_are_mixed_in_at_the_configured_rate(
    tmp_path: Path, heridal_image: Path, rate: float
) -> None:
    with open_store(tmp_path / "rate.sqlite") as store:
        mission = grid_mission(store, heridal_image, 30)
        for t in mission.tile_ids[:60]:
            confirm(store, t, "rejected")
        queue = make_queue(store, honeypot_rate=rate, overlap=1, max_overlap=1)
        v = queue.invite("v")[0].id
        kinds = []
        for _ in range(50):
            lease = queue.next_lease(v)
            kinds.append(lease.kind)
            queue.answer(v, lease.public_id, "no_person")
        share = kinds.count("honeypot") / len(kinds)
        assert rate - 0.15 < share < rate + 0.15


def escalated_tile_with_a_volunteers_hit(
    store: Store, heridal_image: Path, hit_status: str
) -> tuple[int, int]:
    """An escalated tile on which a volunteers' hit (as `review aggregate` adds) is already ``hit_status``."""
    flight = add_flight(store, "f")
    frame = add_frame(store, flight, heridal_image, width=340, height=340)
    (tile,) = add_tiles(store, frame, [(0, 0, 170, 170)], [0.5])
    queue = make_queue(store, overlap=3, max_overlap=4)
    crew = [queue.invite(f"v{i}")[0].id for i in range(4)]
    for v, vote in zip(crew, ["person", "no_person", "person", "no_person"], strict=True):
        lease = queue.next_lease(v)
        assert lease is not None
        queue.answer(v, lease.public_id, vote)
    (escalation,) = queue.escalations()
    with store.begin() as conn:  # the first "person" surfaced a candidate at once; then it was decided
        conn.execute(schema.hits.delete().where(schema.hits.c.tile_id == tile))
        conn.execute(
            schema.hits.insert().values(
                tile_id=tile,
                source="volunteers",
                status=hit_status,
                x=1.0,
                y=1.0,
                confidence=0.6,
                note="",
                created_at=datetime.now(UTC),
            )
        )
    return escalation.id, tile


def hit_statuses(store: Store, tile: int) -> list[str]:
    with store.connect() as conn:
        return list(conn.execute(select(schema.hits.c.status).where(schema.hits.c.tile_id == tile)).scalars())


@pytest.mark.parametrize(("later", "disagrees"), [("found", False), ("not_found", True), ("rejected", True)])
def test_deciding_an_escalation_never_overrides_a_later_decision_on_its_hit(
    store: Store, heridal_image: Path, later: str, disagrees: bool
) -> None:
    escalation, tile = escalated_tile_with_a_volunteers_hit(store, heridal_image, later)
    queue = make_queue(store)
    decided = queue.decide(escalation, "person")
    assert hit_statuses(store, tile) == [later]  # a found person is not sent out again
    again = queue.decide(escalation, "person")  # a retry of the same decision changes nothing either
    assert hit_statuses(store, tile) == [later]
    if disagrees:  # the coordinator is told the outcome disagrees with what happened since
        assert decided.conflict and f"is {later.replace('_', ' ')}" in decided.conflict
        assert again.conflict == decided.conflict
    else:
        assert decided.conflict is None


def test_deciding_person_confirms_a_volunteers_candidate(store: Store, heridal_image: Path) -> None:
    escalation, tile = escalated_tile_with_a_volunteers_hit(store, heridal_image, "candidate")
    decided = make_queue(store).decide(escalation, "person")
    assert hit_statuses(store, tile) == ["confirmed"] and decided.conflict is None


def test_volunteer_names_with_control_characters_are_refused(store: Store) -> None:
    with pytest.raises(ReviewError, match="control characters"):
        make_queue(store).invite("Eve\x1b[2J")


def small_crew(store: Store, heridal_image: Path, n: int) -> tuple[ReviewQueue, list[int], int]:
    flight = add_flight(store, "night")
    frame = add_frame(store, flight, heridal_image, width=340, height=340)
    (tile,) = add_tiles(store, frame, [(0, 0, 170, 170)], [0.3])
    queue = make_queue(store)  # the defaults: overlap 3, closing early only above P 0.97
    return queue, [queue.invite(f"night{i}")[0].id for i in range(n)], tile


def volunteers_hits(store: Store, tile: int) -> list[tuple[str, str]]:
    with store.connect() as conn:
        rows = conn.execute(
            select(schema.hits.c.status, schema.hits.c.note).where(
                schema.hits.c.tile_id == tile, schema.hits.c.source == "volunteers"
            )
        ).all()
    return [(r.status, r.note) for r in rows]


def test_a_coordinators_note_on_a_volunteers_candidate_outlives_later_answers(
    store: Store, heridal_image: Path
) -> None:
    queue, crew, tile = small_crew(store, heridal_image, 3)
    lease = queue.next_lease(crew[0])
    queue.answer(crew[0], lease.public_id, "person")
    with store.connect() as conn:
        hit_id = conn.execute(select(schema.hits.c.id).where(schema.hits.c.tile_id == tile)).scalar_one()
    hits.add_note(store, hit_id, "team 2 checking from the road")
    for volunteer in crew[1:]:
        lease = queue.next_lease(volunteer)
        queue.answer(volunteer, lease.public_id, "person")
    [(status, note)] = volunteers_hits(store, tile)
    assert status == "candidate" and note.endswith("team 2 checking from the road")
    assert hits.get_hit(store, hit_id).confidence > 0.5  # the answers still move its confidence


def test_with_two_volunteers_one_person_answer_reaches_the_coordinator_at_once(
    store: Store, heridal_image: Path
) -> None:
    queue, (anna, bob), tile = small_crew(store, heridal_image, 2)
    lease = queue.next_lease(anna)
    queue.answer(anna, lease.public_id, "person")
    [(status, note)] = volunteers_hits(store, tile)
    assert status == "candidate" and note == ""  # notes are the coordinator's; the answers are counted apart
    lease = queue.next_lease(bob)
    queue.answer(bob, lease.public_id, "person")
    assert review_row(store, tile)["state"] != "open"  # two of two agree: nobody else is coming
    assert [s for s, _ in volunteers_hits(store, tile)] == ["candidate"]


def test_a_small_crew_closes_a_tile_it_agrees_is_empty(store: Store, heridal_image: Path) -> None:
    queue, crew, tile = small_crew(store, heridal_image, 2)
    for v in crew:
        lease = queue.next_lease(v)
        queue.answer(v, lease.public_id, "no_person")
    assert review_row(store, tile)["state"] == "done"
    assert volunteers_hits(store, tile) == [] and queue.escalations() == []


def test_a_lone_volunteer_unsure_sends_the_tile_to_the_coordinator(store: Store, heridal_image: Path) -> None:
    queue, (alone,), tile = small_crew(store, heridal_image, 1)
    lease = queue.next_lease(alone)
    queue.answer(alone, lease.public_id, "unsure")
    assert review_row(store, tile)["state"] == "escalated"


def test_a_volunteer_sees_their_record_only_in_blocks_so_no_answer_betrays_a_known_tile(
    store: Store, heridal_image: Path
) -> None:
    mission = grid_mission(store, heridal_image, 12)
    decided = set(mission.tile_ids[:12])
    for t in decided:
        confirm(store, t, "rejected")  # known empty tiles
    queue = make_queue(store, honeypot_rate=0.5, overlap=1, max_overlap=1)
    v = queue.invite("v")[0].id
    known: list[bool] = []  # whether each answer, in order, was on a known tile
    shown: dict[int, int] = {}  # answers given -> known answers the volunteer's own record counts
    for _ in range(40):
        lease = queue.next_lease(v)
        known.append(lease.kind == "honeypot" or lease.tile_id in decided)
        queue.answer(v, lease.public_id, "no_person" if known[-1] else "person")
        progress = queue.progress(v)
        shown[progress.answers] = progress.accuracy.known_answered
    assert sum(known) >= 10  # known tiles were answered all along
    for answers, counted in shown.items():
        # whole blocks of ten, the newest left out: a block's known tiles show once the next block is done
        blocks = max(answers // 10 - 1, 0)
        assert counted == sum(known[: blocks * 10]), answers


def test_open_tiles_are_counted_in_tens_above_twenty() -> None:
    from sartriage.review.quality import coarse_count

    assert [coarse_count(n) for n in (0, 7, 20, 21, 29, 30, 187)] == [0, 7, 20, 20, 20, 30, 180]


def test_a_volunteer_waived_for_want_of_known_tiles_gets_a_late_entry_check(
    store: Store, heridal_image: Path
) -> None:
    mission = grid_mission(store, heridal_image, 2)
    queue = make_queue(store, exam_size=2, overlap=1, max_overlap=1)
    v = queue.invite("early")[0].id
    assert queue.join(v).exam_state == "waived"  # nothing is known yet: the check cannot be given
    first = queue.next_lease(v)
    assert first.kind == "review"
    queue.answer(v, first.public_id, "no_person")
    for t in mission.tile_ids[-2:]:
        confirm(store, t, "rejected")  # the coordinator decides: known tiles exist now
    queue.sync()
    for _ in range(2):
        lease = queue.next_lease(v)
        assert lease.kind == "exam" and queue.progress(v).exam_state == "pending"
        queue.answer(v, lease.public_id, "no_person")
    assert queue.progress(v).exam_state == "passed" and queue.next_lease(v).kind == "review"


def test_a_tile_the_coordinator_decided_is_not_served_for_review_again(
    store: Store, heridal_image: Path
) -> None:
    mission = grid_mission(store, heridal_image, 1)
    queue = make_queue(store, overlap=3, max_overlap=3)
    first, second = (queue.invite(n)[0].id for n in ("first", "second"))
    lease = queue.next_lease(first)
    queue.answer(first, lease.public_id, "no_person")
    confirm(store, lease.tile_id, "rejected")  # the coordinator decides it before the others answer
    queue.sync()
    served = []
    while (next_lease := queue.next_lease(second)) is not None:
        served.append(next_lease.tile_id)
        queue.answer(second, next_lease.public_id, "no_person")
    assert lease.tile_id not in served and sorted(served) == sorted(set(mission.tile_ids) - {lease.tile_id})
