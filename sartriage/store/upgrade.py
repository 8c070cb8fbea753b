"""Schema versions and in-place upgrades.

A new store gets every table at ``SCHEMA_VERSION``. An older store runs each
step from its version to the current one, in one transaction, so a store is
never left half-upgraded. Add a step as ``STEPS[n] = fn`` taking the connection
and bringing version ``n - 1`` to ``n``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import Connection, inspect, select, text

from sartriage.errors import StoreError
from sartriage.store import schema

log = logging.getLogger(__name__)


def _frame_imagery(conn: Connection) -> None:
    """2: frames record their kind of imagery and why their tiles were triaged otherwise than by score."""
    conn.execute(text("ALTER TABLE frames ADD COLUMN imagery VARCHAR(16)"))
    conn.execute(text("ALTER TABLE frames ADD COLUMN triage_note TEXT"))


def _exam_retries(conn: Connection) -> None:
    """3: a volunteer who failed the entry check may retry it once; the store counts the retries."""
    conn.execute(text("ALTER TABLE volunteers ADD COLUMN exam_retries INTEGER NOT NULL DEFAULT 0"))


def _frame_georef(conn: Connection) -> None:
    """4: frames keep the scan's georeferencing, so positions are placed without the photo. Frames
    scanned before have none (NULL): their positions still come from the file."""
    conn.execute(text("ALTER TABLE frames ADD COLUMN georef JSON"))


def _camera_clock(conn: Connection) -> None:
    """5: a capture time whose time zone the photo does not tell is kept as the camera's clock, not as
    UTC. Frames scanned before keep what they had (it may be local time stored as UTC)."""
    conn.execute(text("ALTER TABLE frames ADD COLUMN captured_local TIMESTAMP"))


def _frame_parts(conn: Connection) -> None:
    """6: a frame of many tiles keeps the detector's output chunk by chunk until it is done."""
    schema.frame_parts.create(conn)


def _group_marks(conn: Connection) -> None:
    """7: the coordinator's marks may share a tile (every person of a group); the detector's and the
    volunteers' hits stay one per tile. SQLite keeps a table's constraints in its definition, so the table
    is built again and its rows copied; no other table refers to it."""
    if conn.dialect.name != "sqlite":
        conn.execute(text("ALTER TABLE hits DROP CONSTRAINT uq_hits_tile_source"))
        next(i for i in schema.hits.indexes if i.name == "uq_hits_tile_source").create(conn)
        return
    conn.execute(text("ALTER TABLE hits RENAME TO hits_before_7"))
    for index in inspect(conn).get_indexes("hits_before_7"):
        if index["name"] and not index["name"].startswith("sqlite_autoindex"):
            conn.execute(text(f'DROP INDEX "{index["name"]}"'))
    schema.hits.create(conn)
    columns = ", ".join(c.name for c in schema.hits.columns)
    conn.execute(text(f"INSERT INTO hits ({columns}) SELECT {columns} FROM hits_before_7"))
    conn.execute(text("DROP TABLE hits_before_7"))


STEPS: dict[int, Callable[[Connection], None]] = {
    2: _frame_imagery,
    3: _exam_retries,
    4: _frame_georef,
    5: _camera_clock,
    6: _frame_parts,
    7: _group_marks,
}


def stored_version(conn: Connection) -> int | None:
    if not inspect(conn).has_table(schema.store_info.name):
        return None
    row = conn.execute(
        select(schema.store_info.c.value).where(schema.store_info.c.key == "schema_version")
    ).first()
    return int(row[0]) if row else None


def _set_version(conn: Connection, version: int) -> None:
    table = schema.store_info
    updated = conn.execute(
        table.update().where(table.c.key == "schema_version").values(value=str(version))
    ).rowcount
    if not updated:
        conn.execute(table.insert().values(key="schema_version", value=str(version)))


def upgrade(conn: Connection) -> int:
    """Create or upgrade the schema on ``conn``; return the version now in force."""
    version = stored_version(conn)
    if version is None:
        schema.metadata.create_all(conn)
        _set_version(conn, schema.SCHEMA_VERSION)
        return schema.SCHEMA_VERSION
    if version > schema.SCHEMA_VERSION:
        raise StoreError(
            f"the store has schema version {version}, newer than this sartriage ({schema.SCHEMA_VERSION}): "
            "upgrade sartriage to open it"
        )
    for step in range(version + 1, schema.SCHEMA_VERSION + 1):
        log.info("upgrading the mission store to schema version %d", step)
        STEPS[step](conn)
        _set_version(conn, step)
    return schema.SCHEMA_VERSION
