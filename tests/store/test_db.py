from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from hit_rows import add_flight, add_frame, add_tile
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import IntegrityError

from sartriage.errors import StoreError
from sartriage.store import open_store, schema, upgrade, utcnow
from sartriage.store.db import describe_db_error


def test_new_store_has_current_version_and_one_mission(store_target: str) -> None:
    with open_store(store_target, mission_name="Ridge search") as store:
        with store.connect() as conn:
            assert upgrade.stored_version(conn) == schema.SCHEMA_VERSION
            names = conn.execute(select(schema.missions.c.name)).scalars().all()
        assert names == ["Ridge search"]
    with open_store(store_target) as again:
        assert again.mission_id() == store.mission_id()


def test_sqlite_store_runs_in_wal_mode(tmp_path: Path) -> None:
    with open_store(tmp_path / "m.sqlite") as store, store.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_duplicate_content_hash_is_refused(store_target: str) -> None:
    with open_store(store_target) as store:
        with store.begin() as conn:
            flight = conn.execute(
                insert(schema.flights).values(
                    mission_id=store.mission_id(), name="f", folder="/card", created_at=utcnow()
                )
            ).inserted_primary_key[0]
            row = dict(flight_id=flight, path="a.jpg", content_hash="ab" * 32, size_bytes=1, status="pending")
            conn.execute(insert(schema.frames).values(**row))
        with pytest.raises(IntegrityError), store.begin() as conn:
            conn.execute(insert(schema.frames).values(**{**row, "path": "copy/a.jpg"}))


def test_older_store_is_upgraded_step_by_step(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "old.sqlite"
    open_store(path).close()
    ran: list[int] = []
    monkeypatch.setattr(schema, "SCHEMA_VERSION", schema.SCHEMA_VERSION + 1)
    monkeypatch.setitem(upgrade.STEPS, schema.SCHEMA_VERSION, lambda conn: ran.append(schema.SCHEMA_VERSION))
    with open_store(path) as store, store.connect() as conn:
        assert upgrade.stored_version(conn) == schema.SCHEMA_VERSION
    assert ran == [schema.SCHEMA_VERSION]


def test_newer_store_is_refused_with_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "new.sqlite"
    open_store(path).close()
    monkeypatch.setattr(schema, "SCHEMA_VERSION", schema.SCHEMA_VERSION - 1)
    with pytest.raises(StoreError, match="upgrade sartriage"):
        open_store(path)


def test_missing_folder_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="does not exist"):
        open_store(tmp_path / "nope" / "m.sqlite")


def test_read_only_store_gives_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "m.sqlite"
    open_store(path).close()
    # a read-only connection refuses writes even for root, as a store on a locked card or share would
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    with pytest.raises(sqlite3.OperationalError) as raised:
        conn.execute("INSERT INTO store_info VALUES ('k', 'v')")
    conn.close()
    message = describe_db_error(str(path), raised.value)
    assert message.startswith(f"{path}: the store is read-only")


def test_processes_creating_one_new_store_at_once_all_succeed(store_target: str) -> None:
    code = (
        "import sys\n"
        "from sartriage.store import open_store\n"
        "with open_store(sys.argv[1]) as store:\n"
        "    print(store.mission_id())\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, store_target],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, [err for _, err in results]
    assert {out.strip() for out, _ in results} == {"1"}
    with open_store(store_target) as store, store.connect() as conn:
        assert len(conn.execute(select(schema.missions.c.id)).all()) == 1


ADDED_IN = {  # the columns (or whole tables) each schema version added: older stores lack them
    2: ("frames.imagery", "frames.triage_note"),
    3: ("volunteers.exam_retries",),
    4: ("frames.georef",),
    5: ("frames.captured_local",),
    6: ("frame_parts",),
    7: (),  # hits: one coordinator mark per tile no more (made_at puts the old rule back)
}


def _one_hit_per_tile_and_source(raw: sqlite3.Connection) -> None:
    """The hits table as stores before schema 7 made it: unique (tile_id, source) for every source."""
    ddl = raw.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'hits'").fetchone()[0]
    for index in ("uq_hits_tile_source", "ix_hits_status"):
        raw.execute(f"DROP INDEX {index}")
    raw.execute("DROP TABLE hits")
    raw.execute(
        ddl.rstrip()[:-1].rstrip() + ",\n\tCONSTRAINT uq_hits_tile_source UNIQUE (tile_id, source)\n)"
    )
    raw.execute("CREATE INDEX ix_hits_status ON hits (status)")


def made_at(path: Path, version: int) -> sqlite3.Connection:
    """A new store taken back to what ``version`` made: the later columns dropped. Returns an open
    connection (commit by leaving its ``with``) to add rows as that version stored them."""
    open_store(path).close()
    raw = sqlite3.connect(path)
    for later in range(version + 1, max(ADDED_IN) + 1):
        for column in ADDED_IN[later]:
            if "." not in column:
                raw.execute(f"DROP TABLE {column}")
                continue
            table, name = column.split(".")
            raw.execute(f"ALTER TABLE {table} DROP COLUMN {name}")
    if version < 7:
        _one_hit_per_tile_and_source(raw)
    raw.execute(f"UPDATE store_info SET value = '{version}' WHERE key = 'schema_version'")
    return raw


def a_scanned_frame(raw: sqlite3.Connection, **columns: str) -> None:
    """A flight and one done frame 'a.jpg', as an older store held them, with ``columns`` set too."""
    raw.execute(
        "INSERT INTO flights (mission_id, name, folder, created_at, priority) "
        "VALUES (1, 'f', 'f', '2024-01-01', 0)"
    )
    names = ", ".join(["flight_id", "path", "content_hash", "size_bytes", "status", *columns])
    marks = ", ".join("?" * (5 + len(columns)))
    raw.execute(
        f"INSERT INTO frames ({names}) VALUES ({marks})", (1, "a.jpg", "ab", 1, "done", *columns.values())
    )


def test_every_schema_version_has_its_columns_listed() -> None:
    assert max(ADDED_IN) == schema.SCHEMA_VERSION


def test_a_schema_1_store_gains_the_frames_imagery_columns(tmp_path: Path) -> None:
    path = tmp_path / "v1.sqlite"
    with made_at(path, 1):
        pass
    with open_store(path) as store, store.connect() as conn:
        assert upgrade.stored_version(conn) == schema.SCHEMA_VERSION
        columns = {row[1] for row in conn.execute(text("PRAGMA table_info(frames)"))}
    assert {"imagery", "triage_note"} <= columns


def test_a_schema_2_store_counts_entry_check_retries(tmp_path: Path) -> None:
    path = tmp_path / "v2.sqlite"
    with made_at(path, 2) as raw:  # with a volunteer
        raw.execute(
            "INSERT INTO volunteers (name, role, token_hash, created_at, exam_state) "
            "VALUES ('v', 'volunteer', 'h', '2024-01-01 00:00:00', 'failed')"
        )
    with open_store(path) as store, store.connect() as conn:
        assert upgrade.stored_version(conn) == schema.SCHEMA_VERSION
        assert conn.execute(select(schema.volunteers.c.exam_retries)).scalar_one() == 0


def test_a_schema_3_store_keeps_its_frames_and_gains_an_empty_georef(tmp_path: Path) -> None:
    path = tmp_path / "v3.sqlite"
    with made_at(path, 3) as raw:
        a_scanned_frame(raw)
    with open_store(path) as store, store.connect() as conn:
        assert upgrade.stored_version(conn) == schema.SCHEMA_VERSION
        row = conn.execute(select(schema.frames.c.path, schema.frames.c.georef)).one()
    assert (row.path, row.georef) == ("a.jpg", None)  # positions of this frame still come from its file


def test_a_schema_4_store_keeps_its_capture_times_and_gains_an_empty_camera_clock(tmp_path: Path) -> None:
    path = tmp_path / "v4.sqlite"
    with made_at(path, 4) as raw:
        a_scanned_frame(raw, captured_at="2019-02-27 14:49:05")
    with open_store(path) as store, store.connect() as conn:
        assert upgrade.stored_version(conn) == schema.SCHEMA_VERSION
        row = conn.execute(select(schema.frames.c.captured_at, schema.frames.c.captured_local)).one()
    assert (
        row.captured_at.replace(tzinfo=None) == datetime(2019, 2, 27, 14, 49, 5)
        and row.captured_local is None
    )


def test_a_schema_5_store_gains_the_table_big_frames_are_kept_in_while_scanned(tmp_path: Path) -> None:
    path = tmp_path / "v5.sqlite"
    with made_at(path, 5) as raw:
        a_scanned_frame(raw)
    with open_store(path) as store, store.connect() as conn:
        assert upgrade.stored_version(conn) == schema.SCHEMA_VERSION
        assert conn.execute(select(func.count()).select_from(schema.frame_parts)).scalar() == 0
        assert conn.execute(select(schema.frames.c.path)).scalars().all() == ["a.jpg"]


def test_a_schema_6_store_keeps_its_hits_and_lets_the_coordinator_mark_a_group(tmp_path: Path) -> None:
    path = tmp_path / "v6.sqlite"
    with made_at(path, 6) as raw:
        a_scanned_frame(raw)
        raw.execute("INSERT INTO tiles (frame_id, x, y, w, h, scale, score, state, quality_check) "
                    "VALUES (1, 0, 0, 512, 512, 1.0, 0.9, 'flagged', 0)")  # fmt: skip
        raw.execute("INSERT INTO hits (tile_id, source, status, x, y, confidence, note, created_at) "
                    "VALUES (1, 'coordinator', 'confirmed', 10, 10, 1.0, 'first', '2024-01-01')")  # fmt: skip
    hit = dict(tile_id=1, status="confirmed", y=10.0, confidence=1.0, created_at=datetime(2024, 1, 1))
    with open_store(path) as store:
        with store.begin() as conn:
            assert upgrade.stored_version(conn) == schema.SCHEMA_VERSION
            assert conn.execute(select(schema.hits.c.note)).scalars().all() == ["first"]  # kept
            conn.execute(insert(schema.hits).values(source="coordinator", x=40.0, **hit))  # a second person
            conn.execute(insert(schema.hits).values(source="detector", x=70.0, **hit))
        with pytest.raises(IntegrityError), store.begin() as conn:  # the detector still has one per tile
            conn.execute(insert(schema.hits).values(source="detector", x=90.0, **hit))


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_a_new_store_and_its_wal_files_are_private(tmp_path: Path) -> None:
    path = tmp_path / "private.sqlite"
    with open_store(path) as store, store.begin() as conn:
        conn.execute(text("CREATE TABLE scratch (x INTEGER)"))
        modes = {p.name: p.stat().st_mode & 0o777 for p in tmp_path.iterdir()}
    assert modes["private.sqlite"] == 0o600
    assert modes.get("private.sqlite-wal", 0o600) == 0o600 and modes.get("private.sqlite-shm", 0o600) == 0o600
    assert "private.sqlite-wal" in modes


def test_a_schema_6_postgresql_store_lets_the_coordinator_mark_a_group(pg_url: str) -> None:
    with open_store(pg_url) as store, store.begin() as conn:  # taken back to what schema 6 made
        conn.execute(text("DROP INDEX uq_hits_tile_source"))
        conn.execute(text("ALTER TABLE hits ADD CONSTRAINT uq_hits_tile_source UNIQUE (tile_id, source)"))
        conn.execute(text("UPDATE store_info SET value = '6' WHERE key = 'schema_version'"))
        frame = add_frame(conn, add_flight(conn, store), "/card/a.jpg")
        tile = add_tile(conn, frame, 0, 0)
    hit = dict(tile_id=tile, status="confirmed", y=10.0, confidence=1.0, created_at=utcnow())
    with open_store(pg_url) as store:
        with store.begin() as conn:
            assert upgrade.stored_version(conn) == schema.SCHEMA_VERSION
            for x in (10.0, 40.0):  # two people of one group in one tile
                conn.execute(insert(schema.hits).values(source="coordinator", x=x, **hit))
            conn.execute(insert(schema.hits).values(source="detector", x=70.0, **hit))
        with pytest.raises(IntegrityError), store.begin() as conn:
            conn.execute(insert(schema.hits).values(source="detector", x=90.0, **hit))
