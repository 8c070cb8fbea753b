"""A real detector (NanoDet-m from ../shared/models) tuned for quick scans, shared by the scan tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from scan_support import make_card

from sartriage.detect import Detector


@pytest.fixture(scope="session")
def card_path(shared_models: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_card(shared_models, tmp_path_factory.mktemp("card"))


@pytest.fixture(scope="session")
def detector(card_path: Path) -> Detector:
    return Detector.open(card_path, device="cpu")
