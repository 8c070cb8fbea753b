"""INSERT statements that know ON CONFLICT on both backends."""

from __future__ import annotations

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def dialect_insert(conn: Connection, table: Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT for ``conn``'s backend that can skip or update rows breaking a unique rule."""
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)
