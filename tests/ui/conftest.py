"""Qt tests run headless; each gets its own settings file and real frames copied to a temp folder."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PyQt6.QtCore import QSettings
from real_frames import FLAG_THRESHOLD, LACMUS, XT2, flight_folder, make_model

from sartriage.detect import Detector
from sartriage.scan import ScanOptions, TriageRules, scan
from sartriage.store import Store, open_store
from ui.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    s = Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    s.device = "cpu"
    s.set_threshold("flag", FLAG_THRESHOLD)
    return s


@pytest.fixture(scope="session")
def model(shared_models: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_model(shared_models, tmp_path_factory.mktemp("model"))


@pytest.fixture(scope="session")
def scanned_mission(shared_data: Path, model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A mission store the core scanned from real frames: the Lacmus photo and two XT2 frames."""
    root = tmp_path_factory.mktemp("scanned")
    folder = flight_folder(shared_data, root / "flight-1", (LACMUS, *XT2))
    path = root / "mission.sqlite"
    store = open_store(path)
    try:
        detector = Detector.open(model, device="cpu")
        rules = TriageRules.from_card(detector.card, flag=FLAG_THRESHOLD)
        for _ in scan(store, folder, detector, ScanOptions(rules=rules)):
            pass
    finally:
        store.close()
    return path


@pytest.fixture
def mission_copy(scanned_mission: Path, tmp_path: Path) -> Iterator[Path]:
    """A private copy of the scanned mission, for tests that change it."""
    target = tmp_path / "mission.sqlite"
    shutil.copyfile(scanned_mission, target)
    yield target


@pytest.fixture
def store(mission_copy: Path) -> Iterator[Store]:
    s = open_store(mission_copy, create=False)
    yield s
    s.close()
