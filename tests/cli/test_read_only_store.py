"""A mission on a medium that cannot be written (a write-protected card, a read-only share) can still be
read: status, the hit list and the exports work, and the store is left exactly as it was."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from xt2_mission import Mission, build_mission

from sartriage.cli import main


@pytest.fixture(scope="module")
def mission(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Mission:
    frames = sorted((shared_data / "geotagged" / "deervision_dji_xt2").glob("DJI_*_R.JPG"))
    return build_mission(frames, tmp_path_factory.mktemp("ro") / "mission.sqlite")


def _protect(paths: list[Path], on: bool) -> None:
    """Nobody may write these, root included: the immutable attribute as root, permissions otherwise."""
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i" if on else "-i", *map(str, paths)], check=True, capture_output=True)
    else:
        for path in paths:
            path.chmod((0o555 if path.is_dir() else 0o444) if on else 0o755)


@pytest.fixture
def read_only_copy(mission: Mission, tmp_path: Path) -> Iterator[Path]:
    card = tmp_path / "card"
    card.mkdir()
    db = card / "mission.sqlite"
    shutil.copyfile(mission.path, db)
    _protect([db, card], on=True)
    try:
        with pytest.raises(OSError):
            (card / "probe").touch()  # the folder really cannot be written
        yield db
    finally:
        _protect([db, card], on=False)


@pytest.mark.parametrize(
    "command",
    [
        ["status"],
        ["status", "--json"],
        ["hits", "list"],
        ["export", "--format", "gpx", "--out", "{out}/hits.gpx"],
        ["export", "--format", "csv", "--out", "{out}/detections.csv"],
    ],
    ids=["status", "status-json", "hits-list", "gpx", "detections-csv"],
)
def test_reading_commands_work_on_a_store_that_cannot_be_written(
    read_only_copy: Path, tmp_path: Path, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    before = hashlib.sha256(read_only_copy.read_bytes()).hexdigest()
    assert main([*(a.format(out=tmp_path) for a in command), "--db", str(read_only_copy)]) == 0
    assert "error" not in capsys.readouterr().err
    assert hashlib.sha256(read_only_copy.read_bytes()).hexdigest() == before
    assert [p.name for p in read_only_copy.parent.iterdir()] == ["mission.sqlite"]


def test_a_folder_given_as_db_is_told_as_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for command in (["status"], ["hits", "list"], ["scan", str(tmp_path)]):
        assert main([*command, "--db", str(tmp_path)]) == 1
        err = capsys.readouterr().err
        assert f"{tmp_path}: a folder, not a mission store; give a .sqlite file" in err
