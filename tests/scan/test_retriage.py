"""Re-triage at new thresholds: the stored scores sorted again give what a fresh scan at those thresholds
gives, and what the coordinator or volunteers already saw is never taken back."""

from __future__ import annotations

from pathlib import Path

import pytest
from scan_support import FLAG, copy_frames, heridal
from sqlalchemy import select

from sartriage.cli import main
from sartriage.detect import Detector
from sartriage.review import QueueSettings, ReviewQueue
from sartriage.scan import ScanOptions, TriageRules, scan
from sartriage.scan.retriage import retriage, stored_rules
from sartriage.store import Store, open_store, schema

LACMUS = "geotagged/lacmus_ladd_335/335.jpg"
HIGHER = TriageRules(review=0.25, flag=0.45)
LOWER = TriageRules(review=0.06, flag=0.2)  # the scan keeps boxes down to 0.05: no rescan needed


@pytest.fixture(scope="module")
def folder(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("flight")
    copy_frames(shared_data, folder, [LACMUS, *heridal(shared_data, 6)])
    return folder


def scanned(db: Path, folder: Path, detector: Detector, rules: TriageRules | None = None) -> Store:
    store = open_store(db)
    options = ScanOptions() if rules is None else ScanOptions(review=rules.review, flag=rules.flag)
    list(scan(store, folder, detector, options))  # type: ignore[arg-type]
    return store


def triaged(store: Store) -> dict[tuple[str, int, int], tuple[str, bool]]:
    t, f = schema.tiles, schema.frames
    with store.connect() as conn:
        rows = conn.execute(
            select(f.c.path, t.c.x, t.c.y, t.c.state, t.c.quality_check).join(f, f.c.id == t.c.frame_id)
        ).all()
    return {(Path(r.path).name, r.x, r.y): (r.state, bool(r.quality_check)) for r in rows}


def candidates(store: Store) -> set[tuple[str, float, float]]:
    h, t, f = schema.hits, schema.tiles, schema.frames
    with store.connect() as conn:
        rows = conn.execute(
            select(f.c.path, h.c.x, h.c.y)
            .select_from(h.join(t, t.c.id == h.c.tile_id).join(f, f.c.id == t.c.frame_id))
            .where(h.c.source == "detector")
        ).all()
    return {(Path(r.path).name, round(r.x, 1), round(r.y, 1)) for r in rows}


def test_retriage_at_lower_thresholds_equals_a_fresh_scan_at_them(
    folder: Path, detector: Detector, tmp_path: Path
) -> None:
    with scanned(tmp_path / "a.sqlite", folder, detector, HIGHER) as store:
        assert stored_rules(store) == HIGHER
        before = triaged(store)
        same = retriage(store, HIGHER)
        assert not same.moved and same.candidates == 0 and triaged(store) == before  # scan and retriage agree
        done = retriage(store, LOWER)
        after, found = triaged(store), candidates(store)
        assert stored_rules(store) == LOWER
    with scanned(tmp_path / "b.sqlite", folder, detector, LOWER) as fresh:
        assert after == triaged(fresh) and found == candidates(fresh)
    assert done.to_review > 0 and done.to_flagged > 0 and done.candidates > 0
    assert done.to_review + done.to_flagged == sum(
        1 for key, (state, _) in after.items() if state != before[key][0] and before[key][0] != "flagged"
    )


def test_what_was_seen_is_never_taken_back(folder: Path, detector: Detector, tmp_path: Path) -> None:
    with scanned(tmp_path / "m.sqlite", folder, detector, TriageRules(LOWER.review, FLAG)) as store:
        queue = ReviewQueue(store, QueueSettings(sync_seconds=0, honeypot_rate=0, exam_size=0, overlap=1))
        queue.sync()
        volunteer = queue.invite("Vera")[0].id
        lease = queue.next_lease(volunteer)
        assert lease is not None
        queue.answer(volunteer, lease.public_id, "no_person")
        flagged_before = {k for k, (state, _) in triaged(store).items() if state == "flagged"}
        hits_before = candidates(store)
        done = retriage(store, TriageRules(review=0.99, flag=0.995))
        after = triaged(store)
        with store.connect() as conn:
            answered_state = conn.execute(
                select(schema.tiles.c.state).where(schema.tiles.c.id == lease.tile_id)
            ).scalar_one()
            queued = set(conn.execute(select(schema.review_tiles.c.tile_id)).scalars())
            cleared = set(
                conn.execute(select(schema.tiles.c.id).where(schema.tiles.c.state == "cleared")).scalars()
            )
    assert flagged_before and {k for k, (s, _) in after.items() if s == "flagged"} == flagged_before
    assert candidates(store) == hits_before
    assert answered_state == "review" and done.kept_answered == 1 and done.kept_flagged == len(flagged_before)
    assert done.to_cleared > 0
    assert lease.tile_id in queued and not queued & cleared  # tiles back to cleared left the queue
    in_review = sum(1 for s, q in after.values() if s == "review" and not q)
    assert in_review == 1


def test_the_command_prints_what_moved(
    folder: Path, detector: Detector, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "m.sqlite"
    scanned(db, folder, detector).close()
    assert main(["retriage", "--db", str(db), "--review", str(LOWER.review), "--flag", str(LOWER.flag)]) == 0
    out = capsys.readouterr().out
    assert f"at review {LOWER.review:g}, flag {LOWER.flag:g} (no detector run)" in out
    assert "tiles newly sent to review" in out and "new candidate hits" in out
    assert main(["retriage", "--db", str(db), "--review", "0.5", "--flag", "0.2"]) == 1
    assert "must not be below the review threshold" in capsys.readouterr().err
