"""Fixtures for export tests: a mission store built from the real DeerVision XT2 survey line."""

from __future__ import annotations

from pathlib import Path

import pytest
from xt2_mission import Mission, build_mission


@pytest.fixture(scope="session")
def xt2_frames(shared_data: Path) -> list[Path]:
    return sorted((shared_data / "geotagged" / "deervision_dji_xt2").glob("DJI_*_R.JPG"))


@pytest.fixture(scope="module")
def mission(xt2_frames: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Mission:
    return build_mission(xt2_frames, tmp_path_factory.mktemp("mission") / "mission.sqlite")
