from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from hit_rows import add_flight, add_frame, add_hit, add_tile

from sartriage import hits
from sartriage.errors import ReviewError
from sartriage.store import Store, open_store, schema

T0 = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def store(store_target: str) -> Iterator[Store]:
    """Two flights; five candidates of known confidence, capture time and source."""
    with open_store(store_target) as store:
        with store.begin() as conn:
            north = add_flight(conn, store, "north")
            south = add_flight(conn, store, "south")
            for i, (flight, confidence, source) in enumerate(
                [
                    (north, 0.9, "detector"),
                    (north, 0.4, "volunteers"),
                    (south, 0.7, "detector"),
                    (south, 0.95, "volunteers"),
                    (north, 0.2, "detector"),
                ]
            ):
                frame = add_frame(conn, flight, f"DJI_{i:04d}.JPG", captured_at=T0 + timedelta(minutes=i))
                tile = add_tile(conn, frame, 0, 0)
                add_hit(
                    conn,
                    tile,
                    x=10.0 + i,
                    y=20.0,
                    confidence=confidence,
                    source=source,
                    lon=-3.0 + i * 1e-4,
                    lat=55.0,
                    error_radius_m=8.0,
                )
        yield store


def test_list_is_best_first_with_context(store: Store) -> None:
    found = hits.list_hits(store)
    assert [h.confidence for h in found] == [0.95, 0.9, 0.7, 0.4, 0.2]
    best = found[0]
    assert (best.frame_name, best.flight_name, best.source, best.status) == (
        "DJI_0003.JPG",
        "south",
        "volunteers",
        "candidate",
    )
    assert best.time == T0 + timedelta(minutes=3)
    assert best.tile == (0, 0, 320, 320)
    assert hits.list_hits(store, limit=2) == found[:2]


@pytest.mark.parametrize(
    ("filt", "expected"),
    [
        (hits.HitFilter(flights=("north",)), [0.9, 0.4, 0.2]),
        (hits.HitFilter(flights=("2",)), [0.95, 0.7]),  # flight id as text
        (hits.HitFilter(sources=("volunteers",)), [0.95, 0.4]),
        (hits.HitFilter(min_score=0.5), [0.95, 0.9, 0.7]),
        (hits.HitFilter(min_score=0.3, max_score=0.8), [0.7, 0.4]),
        (hits.HitFilter(since=T0 + timedelta(minutes=2)), [0.95, 0.7, 0.2]),
        (hits.HitFilter(until=T0 + timedelta(minutes=1)), [0.9, 0.4]),
        (hits.HitFilter(statuses=("confirmed",)), []),
        (hits.HitFilter(statuses=("candidate",), flights=("south",), min_score=0.8), [0.95]),
    ],
)
def test_filters(store: Store, filt: hits.HitFilter, expected: list[float]) -> None:
    assert [h.confidence for h in hits.list_hits(store, filt)] == expected


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (dict(statuses=("maybe",)), "unknown hit status 'maybe'"),
        (dict(sources=("radar",)), "unknown hit source 'radar'"),
        (dict(since=T0, until=T0 - timedelta(seconds=1)), "time filter is empty"),
    ],
)
def test_bad_filter_is_one_clear_error(bad: dict[str, object], message: str) -> None:
    with pytest.raises(ReviewError, match=message):
        hits.HitFilter(**bad)  # type: ignore[arg-type]


# (path of actions from a fresh candidate, status at the end; None = the last action is refused)
@pytest.mark.parametrize(
    ("actions", "expected"),
    [
        (["confirm"], "confirmed"),
        (["reject"], "rejected"),
        (["reject", "confirm"], "confirmed"),
        (["confirm", "reject"], "rejected"),
        (["confirm", "found"], "found"),
        (["confirm", "not-found"], "not_found"),
        (["confirm", "not-found", "found"], "found"),
        (["confirm", "not-found", "confirm"], "confirmed"),
        (["confirm", "found", "reopen"], "candidate"),
        (["confirm", "confirm"], "confirmed"),
        (["found"], None),
        (["not-found"], None),
        (["reject", "found"], None),
        (["confirm", "found", "reject"], None),
        (["reopen"], "candidate"),
    ],
)
def test_status_moves(store: Store, actions: list[str], expected: str | None) -> None:
    hit_id = hits.list_hits(store)[0].id
    *first, last = actions
    for action in first:
        hits.ACTIONS[action](store, hit_id, None)
    before = hits.get_hit(store, hit_id)
    if expected is None:
        with pytest.raises(ReviewError, match=f"hit {hit_id} is {before.status.replace('_', ' ')}: cannot"):
            hits.ACTIONS[last](store, hit_id, None)
        assert hits.get_hit(store, hit_id) == before
    else:
        assert hits.ACTIONS[last](store, hit_id, None).status == expected
        assert hits.get_hit(store, hit_id).status == expected


# Every move between two different statuses, written out: a coordinator's decision on a person found or
# marked not found must never be replaced by an accidental key press.
STATUSES = ("candidate", "confirmed", "rejected", "found", "not_found")
ACTION_FOR = {"candidate": "reopen", "confirmed": "confirm", "rejected": "reject", "found": "found",
              "not_found": "not-found"}  # fmt: skip
ALLOWED_MOVES = {
    ("candidate", "confirmed"), ("candidate", "rejected"),
    ("confirmed", "candidate"), ("confirmed", "rejected"), ("confirmed", "found"), ("confirmed", "not_found"),
    ("rejected", "candidate"), ("rejected", "confirmed"),
    ("found", "candidate"),
    ("not_found", "candidate"), ("not_found", "confirmed"), ("not_found", "found"),
}  # fmt: skip


MOVES = [(a, b) for a in STATUSES for b in STATUSES if a != b]


@pytest.mark.parametrize(("start", "target"), MOVES, ids=[f"{a}-to-{b}" for a, b in MOVES])
def test_every_status_move_is_allowed_or_refused_as_written(store: Store, start: str, target: str) -> None:
    hit_id = hits.list_hits(store)[0].id
    with store.begin() as conn:
        conn.execute(schema.hits.update().where(schema.hits.c.id == hit_id).values(status=start))
    if (start, target) in ALLOWED_MOVES:
        assert hits.ACTIONS[ACTION_FOR[target]](store, hit_id, None).status == target
    else:
        with pytest.raises(ReviewError, match=f"hit {hit_id} is {start.replace('_', ' ')}: cannot"):
            hits.ACTIONS[ACTION_FOR[target]](store, hit_id, None)
        assert hits.get_hit(store, hit_id).status == start


def test_decisions_are_timestamped_and_reopen_clears_the_time(store: Store) -> None:
    hit_id = hits.list_hits(store)[0].id
    assert hits.get_hit(store, hit_id).decided_at is None
    start = datetime.now(UTC)
    confirmed = hits.confirm(store, hit_id, "red jacket by the stream")
    assert confirmed.decided_at is not None and start - timedelta(seconds=1) <= confirmed.decided_at
    assert confirmed.note.endswith("] red jacket by the stream")
    again = hits.confirm(store, hit_id)  # no change: the first decision time is kept
    assert again.decided_at == confirmed.decided_at
    assert hits.reopen(store, hit_id).decided_at is None


def test_notes_are_appended_with_a_timestamp(store: Store) -> None:
    hit_id = hits.list_hits(store)[1].id
    hits.add_note(store, hit_id, "team 2 sent")
    noted = hits.add_note(store, hit_id, "  team 2 on site ")
    lines = noted.note.splitlines()
    assert len(lines) == 2
    for line, text in zip(lines, ["team 2 sent", "team 2 on site"], strict=True):
        stamp, rest = line.split("] ", 1)
        datetime.strptime(stamp, "[%Y-%m-%d %H:%MZ")
        assert rest == text
    assert noted.status == "candidate"


@pytest.mark.parametrize(
    "call",
    [lambda s: hits.confirm(s, 999), lambda s: hits.add_note(s, 999, "x"), lambda s: hits.get_hit(s, 999)],
)
def test_unknown_hit_names_the_id(store: Store, call) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ReviewError, match="hit 999: no such hit"):
        call(store)


def test_empty_note_is_refused(store: Store) -> None:
    with pytest.raises(ReviewError, match="note is empty"):
        hits.add_note(store, hits.list_hits(store)[0].id, "   ")


def test_counts_list_every_status(store: Store) -> None:
    ids = [h.id for h in hits.list_hits(store)]
    hits.apply(store, "confirm", ids[:2])
    hits.reject(store, ids[2])
    hits.mark_found(store, ids[0])
    assert hits.counts(store) == {"candidate": 2, "confirmed": 1, "rejected": 1, "found": 1, "not_found": 0}
