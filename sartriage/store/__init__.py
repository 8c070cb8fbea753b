"""The mission store: one SQLite file (WAL) or one PostgreSQL database per mission."""

from sartriage.store.db import Store, open_store, store_url, stored_utc, utcnow

__all__ = ["Store", "open_store", "store_url", "stored_utc", "utcnow"]
