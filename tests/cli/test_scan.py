"""`sartriage scan` on real frames: what it prints, and one clear line when the store cannot be written."""

from __future__ import annotations

import contextlib
import json
import math
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from scan_support import (
    REVIEW,
    ROOT,
    add_broken_files,
    cli_env,
    copy_frames,
    heridal,
    make_card,
    run_scan,
    scan_command,
    snapshot,
)
from sqlalchemy import event, select

from sartriage.cli import main
from sartriage.cli import scan as scan_cli
from sartriage.frames import georef_from_record
from sartriage.frames.geodesy import lonlat_to_enu
from sartriage.store import Store, open_store, schema

pytestmark = pytest.mark.filterwarnings("ignore::sartriage.errors.SartriageWarning")


@pytest.fixture(scope="module")
def card(shared_models: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_card(shared_models, tmp_path_factory.mktemp("card"))


@pytest.fixture
def folder(shared_data: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "north ridge"
    # colour frames only: the test card's model is not fit for thermal, so it would clear none of those
    copy_frames(
        shared_data,
        folder,
        [*heridal(shared_data, 6), "geotagged/deepforest_dji/AWPE_Pigeon_Lake_2020_DJI_0005.JPG"],
    )
    add_broken_files(folder, shared_data / heridal(shared_data, 8)[7])
    return folder


def test_scan_prints_what_it_found_and_where(folder: Path, card: Path, tmp_path: Path) -> None:
    db = tmp_path / "mission.sqlite"
    done = run_scan(folder, str(db), card)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert 'flight 1 "north ridge"' in out
    assert "10 frames: 7 done, 3 failed, 0 pending" in out
    assert "failed: empty.jpg: empty file" in out
    assert f"results are in {db}" in out
    assert "Traceback" not in done.stderr
    with open_store(db, create=False) as store:
        tiles = snapshot(store)["tiles"]
    states = {t[7] for t in tiles}
    assert "flagged" in states and "cleared" in states
    named = [line for line in out.splitlines() if line.startswith("  candidate hit ")]
    assert 1 <= len(named) <= 5 and all("train_BLA" in line for line in named)  # HERIDAL crops: people
    again = run_scan(folder, str(db), card)  # nothing left to do: same summary, same store
    assert again.returncode == 0 and "7 done, 3 failed, 0 pending" in again.stdout


def test_thresholds_given_on_the_command_line_win(folder: Path, card: Path, tmp_path: Path) -> None:
    db = tmp_path / "strict.sqlite"
    done = run_scan(folder, str(db), card, "--flag-threshold", "0.99", "--quality-share", "0")
    assert done.returncode == 0, done.stderr
    with open_store(db, create=False) as store:
        tiles = snapshot(store)["tiles"]
    assert not [t for t in tiles if t[7] == "flagged"]
    assert [t for t in tiles if t[7] == "review" and t[6] >= REVIEW]
    assert not [t for t in tiles if t[8]]


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--review-threshold", "0.5", "--flag-threshold", "0.2"], "must not be below the review threshold"),
        (["--model", "/nowhere/model.onnx"], "model file not found"),
        (["--dem", "/nowhere/dsm.tif"], "dsm.tif: the DEM cannot be opened"),
    ],
)
def test_bad_settings_are_one_clear_line(
    folder: Path, card: Path, tmp_path: Path, argv: list[str], words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    model = [] if "--model" in argv else ["--card", str(card)]
    code = main(["scan", str(folder), "--db", str(tmp_path / "m.sqlite"), "--device", "cpu", *model, *argv])
    err = capsys.readouterr().err
    assert code == 1
    assert words in err and "Traceback" not in err


def test_a_missing_folder_is_one_clear_line(
    tmp_path: Path, card: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["scan", str(tmp_path / "nowhere"), "--db", str(tmp_path / "m.sqlite"), "--card", str(card)])
        == 1
    )
    assert "nowhere: not a folder" in capsys.readouterr().err


def _pragma(sql: str) -> Callable[[Store], None]:
    """Every new connection of the store runs ``sql`` ({pages}: the store's size now, in pages)."""

    def apply(store: Store) -> None:
        with sqlite3.connect(store.location) as conn:
            pages = conn.execute("PRAGMA page_count").fetchone()[0]
        statement = sql.format(pages=pages)
        event.listen(store.engine, "connect", lambda dbapi, _record: dbapi.execute(statement))

    return apply


def _disk_fills_up_after(frames: int) -> Callable[[Store], None]:
    """The disk fills up inside the transaction of frame ``frames + 1``, after its row was updated."""

    def apply(store: Store) -> None:
        tiled: set[object] = set()

        def before(_conn: object, _cursor: object, statement: str, parameters: tuple, *_args: object) -> None:
            if statement.lstrip().upper().startswith("INSERT INTO TILES"):
                tiled.add(parameters[0])  # frame_id, the first column of a tile
                if len(tiled) > frames:
                    raise sqlite3.OperationalError("database or disk is full")

        event.listen(store.engine, "before_cursor_execute", before)

    return apply


@pytest.mark.parametrize(
    ("fault", "words", "done_before"),
    [
        (
            # the store cannot grow: frames whose rows still fit in its free pages may finish first
            _pragma("PRAGMA max_page_count = {pages}"),
            "the disk is full: free space, then run the same command",
            None,
        ),
        (_disk_fills_up_after(3), "the disk is full: free space, then run the same command again", 3),
        (_pragma("PRAGMA query_only = 1"), "the store is read-only", 0),
    ],
    ids=["full-from-the-start", "full-mid-scan", "read-only"],
)
def test_a_full_disk_or_read_only_store_is_one_clear_line_and_no_damage(
    folder: Path,
    card: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    fault: Callable[[Store], None],
    words: str,
    done_before: int | None,
) -> None:
    db = tmp_path / "mission.sqlite"
    open_store(db).close()

    def faulty_store(target: str | Path, **kwargs: object) -> Store:
        store = open_store(target, **kwargs)  # type: ignore[arg-type]
        store.engine.dispose()
        fault(store)
        return store

    monkeypatch.setattr(scan_cli, "open_store", faulty_store)
    code = main(["scan", str(folder), "--db", str(db), "--card", str(card), "--device", "cpu"])
    err = capsys.readouterr().err
    assert code == 1
    assert words in err and str(db) in err and "Traceback" not in err
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        done = conn.execute("SELECT id FROM frames WHERE status = 'done'").fetchall()
        tiled = conn.execute("SELECT DISTINCT frame_id FROM tiles").fetchall()
    if done_before is None:
        assert len(done) < 7, err  # the scan stopped before the folder's seven good frames
    else:
        assert len(done) == done_before, err
    assert sorted(tiled) == sorted(done)  # no frame half-written
    monkeypatch.undo()  # space freed, permissions fixed: the same command finishes the job
    assert main(["scan", str(folder), "--db", str(db), "--card", str(card), "--device", "cpu"]) == 0
    with open_store(db, create=False) as store:
        finished = snapshot(store)
    reference = tmp_path / "reference.sqlite"
    assert main(["scan", str(folder), "--db", str(reference), "--card", str(card), "--device", "cpu"]) == 0
    with open_store(reference, create=False) as store:
        assert finished == snapshot(store)


def test_the_summary_says_which_photos_cannot_be_placed_and_which_files_were_not_read(
    shared_data: Path, card: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "card"
    copy_frames(
        shared_data,
        folder,
        [
            "geotagged/lacmus_ladd_335/335.jpg",  # GPS, height and attitude: placed
            *heridal(shared_data, 2),  # crops without GPS
            "geotagged/odm_seneca/IMG_0446.jpg",  # a GPS fix only
        ],
    )
    (folder / "screenshot.PNG").write_bytes(b"\x89PNG\r\n\x1a\n")
    (folder / "DJI_0001.MP4").write_bytes(b"\x00" * 64)
    (folder / "DJI_0002.MP4").write_bytes(b"\x00" * 64)
    db = str(tmp_path / "m.sqlite")
    assert main(["scan", str(folder), "--db", db, "--card", str(card), "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "4 frames: 4 done, 0 failed" in out
    assert (
        "placement: 2 frames without a GPS position (a person there cannot be placed); 1 frame only " in out
    )
    assert "not read: 2 .mp4, 1 .png files (the scan reads JPEG and TIFF photos" in out
    assert main(["status", "--db", db, "--json"]) == 0
    [flight] = json.loads(capsys.readouterr().out)
    assert (flight["frames_unplaced"], flight["frames_gps_only"]) == (2, 1)


def test_status_json_after_a_scan(
    folder: Path, card: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "mission.sqlite")
    assert main(["scan", str(folder), "--db", db, "--card", str(card), "--device", "cpu"]) == 0
    capsys.readouterr()
    assert main(["status", "--db", db, "--json"]) == 0
    [flight] = json.loads(capsys.readouterr().out)
    assert (flight["frames_done"], flight["frames_failed"], flight["frames_pending"]) == (7, 3, 0)
    assert set(flight["tiles"]) == {"cleared", "review", "flagged"}


def _as_if_started_in_the_background() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # what `command &` in a script hands its child


@pytest.mark.timeout(300)
@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl_c", "sigterm"])
def test_watch_runs_until_ctrl_c_then_prints_the_summary(
    folder: Path, card: Path, tmp_path: Path, stop: signal.Signals
) -> None:
    db = tmp_path / "mission.sqlite"
    process = subprocess.Popen(
        scan_command(folder, str(db), card, "--watch"),
        cwd=ROOT,
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_as_if_started_in_the_background,
    )
    finished = 0
    while process.poll() is None and finished < 10:
        time.sleep(0.2)
        with contextlib.suppress(sqlite3.Error), sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            finished = conn.execute(
                "SELECT count(*) FROM frames WHERE status IN ('done', 'failed')"
            ).fetchone()[0]
    time.sleep(1.0)  # still watching: it does not end on its own
    assert process.poll() is None
    process.send_signal(stop)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert "watching" in err and "Traceback" not in err
    assert "10 frames: 7 done, 3 failed, 0 pending" in out
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM frames WHERE status = 'claimed'").fetchone()[0] == 0


def test_the_one_liner_runs_the_shipped_model(shared_data: Path, tmp_path: Path) -> None:
    folder = tmp_path / "card"
    copy_frames(shared_data, folder, heridal(shared_data, 3))
    done = subprocess.run(
        [sys.executable, "-m", "sartriage", "scan", str(folder), "--device", "cpu"],
        cwd=tmp_path,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "CenterNet" in done.stderr and "on CPU" in done.stderr
    assert 'flight 1 "card"' in done.stdout and "3 frames: 3 done, 0 failed, 0 pending" in done.stdout
    assert "results are in mission.sqlite" in done.stdout
    assert (tmp_path / "mission.sqlite").is_file()


def test_file_names_with_terminal_escapes_are_printed_escaped(
    shared_data: Path, tmp_path: Path, card: Path
) -> None:
    folder = tmp_path / "card"
    copy_frames(shared_data, folder, heridal(shared_data, 1))
    fake = "\x1b[2J\x1b[32mALL FRAMES OK\x1b[0m.jpg"
    (folder / fake).write_bytes(b"not a photo at all")
    db = tmp_path / "m.sqlite"
    done = run_scan(folder, str(db), card)
    status = subprocess.run(
        [sys.executable, "-m", "sartriage", "status", "--db", str(db)],
        cwd=ROOT, env=cli_env(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    for printed in (done.stdout, done.stderr, status.stdout):
        assert "\x1b" not in printed
    assert "\\x1b[32mALL FRAMES OK\\x1b[0m.jpg" in status.stdout


def test_a_scan_with_a_dem_places_every_frame_as_info_does(
    shared_data: Path, card: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The P4 RTK survey over a river valley: rays meet its DSM, not flat ground at the take-off height."""
    survey = shared_data / "geotagged/orthority_p4rtk"
    folder = tmp_path / "valley"
    copy_frames(
        shared_data, folder, [str(p.relative_to(shared_data)) for p in sorted(survey.glob("100_*.tif"))]
    )
    dsm = survey / "dsm.tif"
    placed = {}
    for name, extra in (("flat", []), ("dem", ["--dem", str(dsm)])):
        db = tmp_path / f"{name}.sqlite"
        assert (
            main(["scan", str(folder), "--db", str(db), "--card", str(card), "--device", "cpu", *extra]) == 0
        )
        with open_store(db, create=False) as store, store.connect() as conn:
            f = schema.frames
            rows = conn.execute(select(f.c.path, f.c.lon, f.c.lat, f.c.width, f.c.height, f.c.georef)).all()
        placed[name] = {Path(r.path).name: r for r in rows}
    capsys.readouterr()
    assert len(placed["dem"]) == 4
    for file_name, row in placed["dem"].items():
        assert row.georef["kind"] == "camera+dem" and Path(row.georef["dem"]["path"]) == dsm.resolve()
        flat = placed["flat"][file_name]
        assert flat.georef["kind"] == "camera" and flat.georef["dem"] is None
        info = json.loads(_info(capsys, folder / file_name, "--dem", str(dsm)))["pixel"]  # the frame's centre
        assert (row.lon, row.lat) == (
            pytest.approx(info["lon"], abs=6e-9),  # info prints 8 decimals
            pytest.approx(info["lat"], abs=6e-9),
        )
        kept = georef_from_record(row.georef, file_name)
        _, _, radius = kept.pixel_to_ground([row.width / 2], [row.height / 2])
        assert float(radius[0]) == pytest.approx(info["error_radius_m"], abs=0.005)
        east, north = lonlat_to_enu(row.lon, row.lat, flat.lon, flat.lat)
        assert math.hypot(east, north) > 1.0  # the valley floor lies well under the take-off point


def _info(capsys: pytest.CaptureFixture[str], *argv: object) -> str:
    assert main(["info", *map(str, argv), "--json"]) == 0
    return capsys.readouterr().out


def test_a_postgresql_scan_says_it_keeps_no_photos_unless_told_where(
    shared_data: Path, card: Path, tmp_path: Path, pg_url: str
) -> None:
    one = tmp_path / "card"
    copy_frames(shared_data, one, heridal(shared_data, 1))
    plain = run_scan(one, pg_url, card)
    assert plain.returncode == 0, plain.stderr
    assert "photos are not copied for review" in plain.stderr and "--keep-photos DIR" in plain.stderr
    told = run_scan(one, pg_url, card, "--keep-photos", str(tmp_path / "photos"))
    assert told.returncode == 0, told.stderr
    assert "photos are not copied" not in told.stderr
    sqlite = run_scan(one, str(tmp_path / "m.sqlite"), card)  # a SQLite store keeps them beside itself
    assert "photos are not copied" not in sqlite.stderr
