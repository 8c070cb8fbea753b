"""No input file can stop a scan: crafted files next to real frames, through the real CLI and in process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hostile_files import write_hostile_set
from scan_support import ROOT, cli_env, copy_frames, heridal, run_scan
from sqlalchemy import select

from sartriage.detect import Detector
from sartriage.scan import ScanOptions, scan
from sartriage.store import open_store, schema

pytestmark = pytest.mark.filterwarnings("ignore::sartriage.errors.SartriageWarning")


def frames_by_name(db: Path) -> dict[str, dict]:
    with open_store(db, create=False) as store, store.connect() as conn:
        return {Path(r.path).name: dict(r) for r in conn.execute(select(schema.frames)).mappings()}


def test_hostile_files_fail_alone_and_good_frames_are_all_done(
    shared_data: Path, tmp_path: Path, card_path: Path
) -> None:
    folder = tmp_path / "flight"
    good = {p.name for p in copy_frames(shared_data, folder, heridal(shared_data, 2))}
    expected = write_hostile_set(folder / "card")
    db = tmp_path / "mission.sqlite"

    done = run_scan(folder, str(db), card_path)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    frames = frames_by_name(db)
    assert set(frames) == good | set(expected)
    for name in good:
        assert frames[name]["status"] == "done", frames[name]["error"]
    for name, want in expected.items():
        row = frames[name]
        assert row["status"] == want.status, (name, row["error"], row["georef_note"])
        if want.status == "failed":
            assert name in row["error"] and want.words in row["error"] and "\n" not in row["error"]
        else:
            assert want.words in (row["georef_note"] or ""), (name, row["georef_note"])
            footprint = row["footprint"]
            assert footprint is None or all(abs(lon) <= 180 and abs(lat) <= 90 for lon, lat in footprint)
            assert row["gsd_m"] is None or row["gsd_m"] > 0

    rerun = run_scan(folder, str(db), card_path)
    assert rerun.returncode == 0, rerun.stderr
    assert frames_by_name(db) == frames  # failed frames are not tried again without --retry-failed


@pytest.mark.parametrize("name", ["nested_xmp.jpg", "local_survey.tif", "huge_origin.tif"])
def test_info_reads_hostile_files_without_a_traceback(tmp_path: Path, name: str) -> None:
    write_hostile_set(tmp_path)
    shown = subprocess.run(
        [sys.executable, "-m", "sartriage", "info", str(tmp_path / name), "--json"],
        cwd=ROOT, env=cli_env(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert "Traceback" not in shown.stderr
    assert json.loads(shown.stdout)


def test_any_error_while_reading_a_frame_fails_that_frame_and_is_kept_on_resume(
    shared_data: Path, tmp_path: Path, detector: Detector, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "flight"
    names = [p.name for p in copy_frames(shared_data, folder, heridal(shared_data, 3))]
    cursed = names[1]
    plan = detector.plan

    def plan_or_crash(frame):  # type: ignore[no-untyped-def]
        if frame.path.name == cursed:
            raise RuntimeError("something no check foresaw")
        return plan(frame)

    monkeypatch.setattr(detector, "plan", plan_or_crash)
    db = tmp_path / "mission.sqlite"
    with open_store(db) as store:
        last = list(scan(store, folder, detector, ScanOptions()))[-1]
        assert (last.frames_done, last.frames_failed) == (2, 1)
        again = list(scan(store, folder, detector, ScanOptions()))[-1]
        assert (again.frames_done, again.frames_failed, again.tiles) == (2, 1, 0)
    row = frames_by_name(db)[cursed]
    assert row["status"] == "failed" and "RuntimeError: something no check foresaw" in row["error"]

    monkeypatch.setattr(detector, "plan", plan)
    with open_store(db) as store:
        retried = list(scan(store, folder, detector, ScanOptions(retry_failed=True)))[-1]
    assert (retried.frames_done, retried.frames_failed) == (3, 0)
