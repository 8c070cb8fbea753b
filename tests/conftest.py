"""Fixtures shared by every test: where the real third-party data lives."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SARTRIAGE_SHARED", ROOT.parent / "shared")).resolve()
SHARED_DATA = SHARED / "data"
SHARED_MODELS = SHARED / "models"


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"real data not here: {path} (tests use ../shared beside the checkout; CI has it)")
    return path


@pytest.fixture(scope="session")
def shared_data() -> Path:
    return _need(SHARED_DATA)


@pytest.fixture(scope="session")
def shared_models() -> Path:
    return _need(SHARED_MODELS)
