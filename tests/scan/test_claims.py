"""Frames as a work queue, on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from sartriage.scan import claims
from sartriage.scan.claims import NewFrame
from sartriage.store import Store, open_store, schema, utcnow


def _frames(n: int, folder: str = "/card") -> list[NewFrame]:
    """``n`` frames whose content (hash) depends only on their number, not on the folder."""
    return [NewFrame(Path(f"{folder}/f{i:03d}.jpg"), f"{i:03d}".ljust(64, "0"), 1000 + i) for i in range(n)]


@pytest.fixture
def store(store_target: str) -> Store:
    with open_store(store_target) as opened:
        yield opened


def test_flights_are_made_once_per_folder(store: Store) -> None:
    first = claims.ensure_flight(store, "north", Path("/card/north"))
    assert claims.ensure_flight(store, "north again", Path("/card/north")) == first
    assert claims.ensure_flight(store, "south", Path("/card/south")) != first


def test_registering_skips_content_the_mission_holds(store: Store) -> None:
    north = claims.ensure_flight(store, "north", Path("/card/north"))
    south = claims.ensure_flight(store, "south", Path("/card/south"))
    assert claims.register(store, north, _frames(3)).added == 3
    again = claims.register(store, south, _frames(3, "/copy"))  # a re-copied card
    assert again.added == 0
    assert [(str(p), held) for p, held in again.duplicates] == [
        (f"/copy/f{i:03d}.jpg", f"/card/f{i:03d}.jpg") for i in range(3)
    ]
    assert claims.status_counts(store, north)["pending"] == 3
    assert claims.status_counts(store, south)["pending"] == 0
    assert set(claims.known_files(store, north)) == {f"/card/f{i:03d}.jpg" for i in range(3)}


def test_claims_come_in_order_once_each_then_none(store: Store) -> None:
    flight = claims.ensure_flight(store, "north", Path("/card/north"))
    claims.register(store, flight, _frames(3))
    taken = [claims.claim_next(store, flight, "w1") for _ in range(4)]
    assert [c.path.name for c in taken[:3] if c] == ["f000.jpg", "f001.jpg", "f002.jpg"]
    assert taken[3] is None
    assert claims.status_counts(store, flight) == {"pending": 0, "claimed": 3, "done": 0, "failed": 0}
    assert claims.claimed_by_others(store, flight, "w2") == 3
    assert claims.claimed_by_others(store, flight, "w1") == 0


def test_two_workers_asking_in_turn_split_the_flight_frame_by_frame(store: Store) -> None:
    """What two scan processes on one mission do, without their timing: whoever asks next gets the next
    pending frame, so both work and no frame is given twice."""
    flight = claims.ensure_flight(store, "north", Path("/card/north"))
    claims.register(store, flight, _frames(6))
    got: dict[str, list[str]] = {"laptop-a": [], "laptop-b": []}
    for worker in ["laptop-a", "laptop-b"] * 4:
        claim = claims.claim_next(store, flight, worker)
        if claim is not None:
            got[worker].append(claim.path.name)
    assert got == {
        "laptop-a": ["f000.jpg", "f002.jpg", "f004.jpg"],
        "laptop-b": ["f001.jpg", "f003.jpg", "f005.jpg"],
    }
    assert claims.claimed_by_others(store, flight, "laptop-a") == 3


def test_a_dead_workers_claims_go_back_after_the_timeout(store: Store) -> None:
    flight = claims.ensure_flight(store, "north", Path("/card/north"))
    claims.register(store, flight, _frames(2))
    dead = claims.claim_next(store, flight, "dead")
    alive = claims.claim_next(store, flight, "alive")
    assert dead and alive
    with store.begin() as conn:  # the dead worker went silent a minute ago
        conn.execute(
            update(schema.frames)
            .where(schema.frames.c.id == dead.frame_id)
            .values(claimed_at=utcnow() - timedelta(seconds=60))
        )
    claims.heartbeat(store, "alive")
    assert claims.release_stale(store, timeout_s=30) == 1
    again = claims.claim_next(store, flight, "alive")
    assert again is not None and again.frame_id == dead.frame_id
    assert claims.release_stale(store, timeout_s=30) == 0


def test_a_worker_gives_back_only_its_own_claims(store: Store) -> None:
    flight = claims.ensure_flight(store, "north", Path("/card/north"))
    claims.register(store, flight, _frames(3))
    a = claims.claim_next(store, flight, "a")
    claims.claim_next(store, flight, "b")
    assert a is not None
    assert claims.release_worker(store, "a", []) == 0
    assert claims.release_worker(store, "a") == 1
    with store.connect() as conn:
        rows = dict(conn.execute(select(schema.frames.c.id, schema.frames.c.claimed_by)).all())
    assert rows[a.frame_id] is None
    assert sorted(v for v in rows.values() if v) == ["b"]


def test_failed_frames_can_be_retried(store: Store) -> None:
    flight = claims.ensure_flight(store, "north", Path("/card/north"))
    claims.register(store, flight, _frames(1))
    with store.begin() as conn:
        conn.execute(update(schema.frames).values(status="failed", error="x: empty file"))
    assert claims.retry_failed(store, flight) == 1
    assert claims.status_counts(store, flight)["pending"] == 1


def test_concurrent_workers_never_share_a_frame(store: Store) -> None:
    flight = claims.ensure_flight(store, "north", Path("/card/north"))
    claims.register(store, flight, _frames(40))
    got: dict[str, list[int]] = {"a": [], "b": [], "c": []}

    def work(worker: str) -> None:
        while (claim := claims.claim_next(store, flight, worker)) is not None:
            got[worker].append(claim.frame_id)
            time.sleep(0.001)

    threads = [threading.Thread(target=work, args=(w,)) for w in got]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    every = [i for ids in got.values() for i in ids]
    assert len(every) == 40 and len(set(every)) == 40
