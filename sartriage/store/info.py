"""Facts about the store itself, by key (the ``store_info`` table): its schema version, where its review
server is reached, where it keeps photo copies."""

from __future__ import annotations

from sqlalchemy import select

from sartriage.store import schema
from sartriage.store.db import Store
from sartriage.store.upsert import dialect_insert


def put_info(store: Store, key: str, value: str) -> None:
    """Set ``key``; one statement, so several processes setting it at once all succeed."""
    table = schema.store_info
    with store.begin() as conn:
        conn.execute(
            dialect_insert(conn, table)
            .values(key=key, value=value)
            .on_conflict_do_update(index_elements=[table.c.key], set_={"value": value})
        )


def get_info(store: Store, key: str) -> str | None:
    table = schema.store_info
    with store.connect() as conn:
        value = conn.execute(select(table.c.value).where(table.c.key == key)).scalar()
    return None if value is None else str(value)
