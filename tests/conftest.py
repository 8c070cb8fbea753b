"""Fixtures shared by every test: where the real third-party data lives."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test (needs SARTRIAGE_TEST_PG_URL; .ci/run sets it)."""
    base = os.environ.get("SARTRIAGE_TEST_PG_URL")
    if not base:
        pytest.skip("no PostgreSQL: set SARTRIAGE_TEST_PG_URL (.ci/run starts a server and sets it)")
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"sartriage_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        _drop(admin, name)
        admin.dispose()


def _drop(admin: Any, name: str) -> None:
    """Drop a test database. FORCE cannot end an autovacuum worker (the server's own role) that happens to
    be in it, so that refusal is waited out."""
    from sqlalchemy import text
    from sqlalchemy.exc import ProgrammingError

    for attempt in range(40):
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            return
        except ProgrammingError as exc:
            if "pg_signal_backend" not in str(exc) or attempt == 39:
                raise
            time.sleep(0.25)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store location on each backend: a SQLite file, then a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "mission.sqlite")
    return str(request.getfixturevalue("pg_url"))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Under CI every skip is a failure: a green CI run means the whole suite ran (PostgreSQL, ../shared,
    Chromium and every test extra were there)."""
    if not os.environ.get("CI"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    if skipped:
        for report in skipped[:20]:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            reporter.write_line(f"CI: skipped, counted as a failure: {report.nodeid}: {reason}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
