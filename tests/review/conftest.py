"""Fixtures of the review tests; the helpers that build missions live in review_fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from review_fixtures import HERIDAL

from sartriage.store import Store, open_store


@pytest.fixture
def heridal_image(shared_data: Path) -> Path:
    return sorted((shared_data / HERIDAL).glob("*.jpg"))[0]


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    with open_store(tmp_path / "mission.sqlite") as store:
        yield store
