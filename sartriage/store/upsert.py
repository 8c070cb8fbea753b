"""INSERT statements that know ON CONFLICT on both backends."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def dialect_insert(conn: Connection, table: Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT for ``conn``'s backend that can skip or update rows breaking a unique rule."""
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


def insert_if_new(conn: Connection, table: Table, **values: Any) -> bool:
    """Insert a row unless it breaks a unique rule; True when it was inserted.

    The answer comes from RETURNING: psycopg reports a rowcount for a skipped row too."""
    stmt = dialect_insert(conn, table).values(**values).on_conflict_do_nothing()
    key = next(iter(table.primary_key.columns))
    return conn.execute(stmt.returning(key)).first() is not None
