"""Opening a mission store: SQLite (WAL) by default, PostgreSQL by URL.

``open_store("mission.sqlite")`` or ``open_store("postgresql://…")`` returns a
:class:`Store`; the schema is created on first use and upgraded in place when an
older store is opened. Engines are created here and nowhere at import time.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import overload
from urllib.parse import quote

from sqlalchemy import Connection, Engine, create_engine, event, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, SQLAlchemyError

from sartriage.errors import StoreError
from sartriage.store import schema
from sartriage.store.upgrade import stored_version, upgrade

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC)


@overload
def stored_utc(value: datetime) -> datetime: ...
@overload
def stored_utc(value: None) -> None: ...
def stored_utc(value: datetime | None) -> datetime | None:
    """A time read back from the store: every time in it is UTC, and SQLite hands them back without a zone."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Store:
    """An open mission store. ``begin()`` gives one transaction."""

    engine: Engine
    location: str

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        with self._errors_named(), self.engine.begin() as conn:
            yield conn

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        with self._errors_named(), self.engine.connect() as conn:
            yield conn

    @contextmanager
    def _errors_named(self) -> Iterator[None]:
        try:
            yield
        except IntegrityError:
            raise  # a broken rule of the schema is the caller's to handle, not a store failure
        except (OperationalError, DBAPIError) as exc:
            raise StoreError(describe_db_error(self.location, exc)) from exc

    def mission_id(self) -> int:
        with self.connect() as conn:
            found = conn.execute(select(schema.missions.c.id).order_by(schema.missions.c.id)).first()
        if found is None:
            raise StoreError(f"{self.location}: the store holds no mission; open it with create=True")
        return int(found[0])

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def describe_db_error(location: str, exc: BaseException) -> str:
    text = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    low = text.lower()
    if "readonly" in low or "read-only" in low or "read only" in low:
        hint = "the store is read-only: copy it somewhere writable or fix its permissions"
    elif "disk is full" in low or "no space" in low:
        hint = "the disk is full: free space, then run the same command again (committed work is kept)"
    elif "locked" in low:
        hint = "another process holds the store locked for too long: close it and try again"
    elif "could not connect" in low or "connection refused" in low or "connection failed" in low:
        hint = "the database server cannot be reached: check the URL and that PostgreSQL is running"
    elif "unable to open" in low:
        hint = "the store's folder does not exist or is not writable"
    else:
        hint = "the store could not be used"
    return f"{location}: {hint} ({text})"


def _sqlite_pragmas(dbapi_conn: sqlite3.Connection, _record: object) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    # FULL: a commit survives a power cut, not only a killed process (laptops die in the field)
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def store_url(target: str | Path) -> str:
    """A SQLAlchemy URL for a path (SQLite) or a database URL as given."""
    text = str(target)
    if "://" in text:
        url = make_url(text)
        if url.drivername in ("postgresql", "postgres"):
            url = url.set(drivername="postgresql+psycopg")
        return url.render_as_string(hide_password=False)
    return f"sqlite:///{Path(text).expanduser().resolve()}"


def open_store(
    target: str | Path, *, create: bool = True, mission_name: str | None = None, read_only: bool = False
) -> Store:
    """Open (and create or upgrade) the mission store at a path or database URL. ``read_only`` opens an
    existing store for reading only (a card or a share that cannot be written), changing nothing."""
    url = store_url(target)
    location = str(target) if "://" not in str(target) else make_url(url).render_as_string(hide_password=True)
    if url.startswith("sqlite:"):
        path = Path(url.removeprefix("sqlite:///"))
        if path.is_dir():
            raise StoreError(
                f"{path}: a folder, not a mission store; give a .sqlite file, e.g. {path / 'mission.sqlite'}"
            )
        if not path.exists() and (read_only or not create):
            raise StoreError(f"{path}: no mission store here; give the path of an existing .sqlite store")
        if read_only:
            return _open_sqlite_read_only(path, location)
        if not path.parent.is_dir():
            raise StoreError(f"{path}: folder {path.parent} does not exist; create it or choose another --db")
        if not path.exists():
            _create_private(path)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
        if read_only:
            try:
                return _readable(engine, location)
            except SQLAlchemyError as exc:
                engine.dispose()
                raise StoreError(describe_db_error(location, exc)) from exc
    store = Store(engine=engine, location=location)
    name = mission_name or (Path(location).stem if "://" not in location else "mission")
    for attempt in range(_PREPARE_ATTEMPTS):
        try:
            _prepare(engine, create=create, mission_name=name)
            break
        except SQLAlchemyError as exc:
            # two processes creating one new SQLite store at once: the loser finds the tables made
            if "already exists" in str(exc) and attempt + 1 < _PREPARE_ATTEMPTS:
                time.sleep(0.2 * (attempt + 1))
                continue
            engine.dispose()
            raise StoreError(describe_db_error(location, exc)) from exc
    return store


def _open_sqlite_read_only(path: Path, location: str) -> Store:
    """A read-only SQLite store: ``mode=ro`` reads alongside a writer; where even that cannot open (no
    -shm file beside a store on a read-only medium), ``immutable=1`` reads the file as it is."""
    last: Exception | None = None
    for flags in ("mode=ro", "immutable=1"):
        engine = create_engine(
            f"sqlite:///file:{quote(str(path))}?{flags}&uri=true",
            connect_args={"timeout": 30, "check_same_thread": False},
        )
        event.listen(engine, "connect", _sqlite_read_pragmas)
        try:
            return _readable(engine, location)
        except SQLAlchemyError as exc:
            engine.dispose()
            last = exc
    raise StoreError(describe_db_error(location, last or OSError("cannot open")))


def _readable(engine: Engine, location: str) -> Store:
    """``engine`` as a store to read, once its schema is the one this sartriage reads (nothing written)."""
    with engine.connect() as conn:
        version = stored_version(conn)
    if version != schema.SCHEMA_VERSION:
        engine.dispose()
        raise StoreError(
            f"{location}: the store has schema version {version}, this sartriage reads "
            f"{schema.SCHEMA_VERSION}; open it once where it can be written (any command that changes it "
            "upgrades it), or use the sartriage that made it"
        )
    return Store(engine=engine, location=location)


def _sqlite_read_pragmas(dbapi_conn: sqlite3.Connection, _record: object) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _create_private(path: Path) -> None:
    """An empty store file only its owner may read: a mission holds tokens, positions and photos of people.
    SQLite gives its -wal and -shm files the database file's permissions."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        pass  # another process created it first
    except OSError as exc:
        detail = exc.strerror or exc
        raise StoreError(f"{path}: cannot create the mission store ({detail}); choose another --db") from exc


_PREPARE_ATTEMPTS = 3
# any constant: serialises schema creation and upgrades between processes sharing one PostgreSQL mission
_PG_SCHEMA_LOCK = 0x5A17_7A6E


def _prepare(engine: Engine, *, create: bool, mission_name: str) -> None:
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_SCHEMA_LOCK})
        upgrade(conn)
        if create and conn.execute(select(schema.missions.c.id)).first() is None:
            conn.execute(insert(schema.missions).values(name=mission_name, created_at=utcnow(), settings={}))
