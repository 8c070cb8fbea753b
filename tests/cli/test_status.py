from __future__ import annotations

import json
from pathlib import Path

import pytest
from hit_rows import add_detection, add_flight, add_frame, add_hit, add_tile
from sqlalchemy import insert, update

from sartriage.cli import main
from sartriage.store import open_store, schema, utcnow

KEYS = {
    "flight_id", "flight", "folder", "frames_done", "frames_failed", "frames_pending", "frames_claimed",
    "tiles", "quality_checks", "detections", "clues", "hits", "review", "failures", "imagery", "triage_notes",
    "review_answers", "frames_unplaced", "frames_gps_only",
}  # fmt: skip


@pytest.fixture
def db(store_target: str) -> str:
    with open_store(store_target) as store, store.begin() as conn:
        north = add_flight(conn, store, "north")
        done = add_frame(conn, north, "/card/north/DJI_0001.JPG")
        failed = add_frame(conn, north, "/card/north/DJI_0002.JPG")
        pending = add_frame(conn, north, "/card/north/DJI_0003.JPG")
        claimed = add_frame(conn, north, "/card/north/DJI_0004.JPG")
        frames = schema.frames
        conn.execute(
            update(frames)
            .where(frames.c.id == failed)
            .values(status="failed", error="/card/north/DJI_0002.JPG: empty file")
        )
        conn.execute(update(frames).where(frames.c.id == pending).values(status="pending"))
        conn.execute(
            update(frames).where(frames.c.id == claimed).values(status="claimed", claimed_by="laptop-b")
        )
        flagged = add_tile(conn, done, 0, 0, score=0.9, state="flagged")
        review = add_tile(conn, done, 320, 0, score=0.4, state="review")
        add_tile(conn, done, 0, 320, score=0.01, state="review", quality_check=True)
        for x in (320, 640):
            add_tile(conn, done, x, 320, score=0.0, state="cleared")
        best = add_detection(conn, done, flagged, (10, 10, 30, 60), 0.9)
        add_detection(conn, done, review, (330, 10, 350, 60), 0.4)
        kite = add_detection(conn, done, review, (300, 10, 360, 30), 0.3)  # a person the model calls a kite
        conn.execute(
            update(schema.detections).where(schema.detections.c.id == kite).values(class_id=33, clue=True)
        )
        add_hit(conn, flagged, x=20, y=35, confidence=0.9, detection_id=best)
        now = utcnow()
        conn.execute(
            insert(schema.review_tiles),
            [
                {"tile_id": t, "flight_id": north, "score": 0.5, "flight_created_at": now, "needed": 3,
                 "answers": a, "state": s, "updated_at": now}
                for t, a, s in ((review, 3, "done"), (flagged, 1, "open"))
            ],
        )  # fmt: skip
        south = add_flight(conn, store, "south")
        conn.execute(
            update(frames)
            .where(frames.c.id == add_frame(conn, south, "/card/south/a.jpg"))
            .values(status="pending")
        )
    return store_target


def test_status_json_has_stable_keys_per_flight(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "--db", db, "--json"]) == 0
    north, south = json.loads(capsys.readouterr().out)
    assert set(north) == KEYS and set(south) == KEYS
    assert (north["flight"], north["frames_done"], north["frames_failed"], north["frames_pending"]) == (
        "north",
        1,
        1,
        2,
    )
    assert north["frames_claimed"] == 1
    assert north["tiles"] == {"cleared": 2, "review": 2, "flagged": 1}
    assert north["quality_checks"] == 1
    assert (north["detections"], north["clues"]) == (2, 1)
    assert north["hits"] == {"candidate": 1}
    assert north["review"] == {"done": 1, "open": 1}
    assert north["failures"] == [
        {"path": "/card/north/DJI_0002.JPG", "error": "/card/north/DJI_0002.JPG: empty file"}
    ]
    assert (south["frames_pending"], south["tiles"], south["detections"]) == (
        1,
        {"cleared": 0, "review": 0, "flagged": 0},
        0,
    )


def test_status_for_people(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "--db", db]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == 'flight 1 "north" (/card/north): 4 frames: 1 done, 1 failed, 2 pending'
    assert (
        out[1] == "  5 tiles: 1 flagged, 2 for review (1 of them a quality check), 2 cleared; "
        "2 detections (and 1 clue); 1 candidate hit"
    )
    assert out[2] == "  placement: 1 frame without a GPS position (a person there cannot be placed)"
    assert out[3] == "  review: 4 volunteer answers; 1 of 2 queued tiles closed, 1 done, 1 open"
    assert out[4] == "  failed: DJI_0002.JPG: empty file"
    assert out[5].startswith('flight 2 "south"')


def test_status_of_a_store_that_does_not_exist(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "--db", str(tmp_path / "none.sqlite")]) == 1
    assert "no mission store here" in capsys.readouterr().err


def test_status_of_an_empty_mission(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "m.sqlite")
    open_store(db).close()
    assert main(["status", "--db", db]) == 0
    assert "no flights yet" in capsys.readouterr().out
    assert main(["status", "--db", db, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
