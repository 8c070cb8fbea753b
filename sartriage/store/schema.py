"""The mission store's tables (SQLAlchemy Core), shared by SQLite and PostgreSQL.

One store holds one search mission. Rows flow one way: frames are found and
claimed, tiles and detections are written with their frame in one transaction,
review answers accumulate on tiles, and hits come from confirmed candidates.
Every schema change bumps ``SCHEMA_VERSION`` and adds an upgrade step in
``sartriage.store.upgrade``.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

SCHEMA_VERSION = 1

metadata = MetaData()

FRAME_STATES = ("pending", "claimed", "done", "failed")
TILE_STATES = ("cleared", "review", "flagged")
HIT_STATES = ("candidate", "confirmed", "rejected", "found", "not_found")


def _states(column: str, states: tuple[str, ...]) -> CheckConstraint:
    quoted = ", ".join(f"'{s}'" for s in states)
    return CheckConstraint(f"{column} IN ({quoted})", name=f"ck_{column}_state")


store_info = Table(
    "store_info",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

missions = Table(
    "missions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("settings", JSON, nullable=False, default=dict),
)

flights = Table(
    "flights",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("mission_id", Integer, ForeignKey("missions.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("folder", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # the coordinator raises a flight's review priority; higher first
    Column("priority", Integer, nullable=False, default=0),
    UniqueConstraint("mission_id", "folder", name="uq_flights_folder"),
)

frames = Table(
    "frames",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("flight_id", Integer, ForeignKey("flights.id", ondelete="CASCADE"), nullable=False),
    Column("path", Text, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("size_bytes", Integer, nullable=False),
    Column("status", String(16), nullable=False, default="pending"),
    Column("error", Text),
    Column("claimed_by", String(200)),
    Column("claimed_at", DateTime(timezone=True)),
    Column("processed_at", DateTime(timezone=True)),
    Column("width", Integer),
    Column("height", Integer),
    Column("captured_at", DateTime(timezone=True)),
    Column("meta", JSON),
    Column("lon", Float),
    Column("lat", Float),
    Column("gsd_m", Float),
    Column("footprint", JSON),  # [[lon, lat], ...] or null
    Column("georef_note", Text),  # why a frame is not (or only roughly) georeferenced
    Column("model", String(200)),
    _states("status", FRAME_STATES),
    # one content hash per mission: a re-copied card is not scanned twice
    UniqueConstraint("content_hash", name="uq_frames_hash"),
    Index("ix_frames_status", "status"),
    Index("ix_frames_flight", "flight_id"),
)

tiles = Table(
    "tiles",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("frame_id", Integer, ForeignKey("frames.id", ondelete="CASCADE"), nullable=False),
    Column("x", Integer, nullable=False),
    Column("y", Integer, nullable=False),
    Column("w", Integer, nullable=False),
    Column("h", Integer, nullable=False),
    Column("scale", Float, nullable=False),
    Column("score", Float, nullable=False),
    Column("state", String(16), nullable=False),
    # a cleared tile sent to review at random, to measure the model's miss rate in the field
    Column("quality_check", Boolean, nullable=False, default=False),
    _states("state", TILE_STATES),
    UniqueConstraint("frame_id", "x", "y", "w", "h", name="uq_tiles_window"),
    Index("ix_tiles_state", "state"),
)

detections = Table(
    "detections",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("frame_id", Integer, ForeignKey("frames.id", ondelete="CASCADE"), nullable=False),
    Column("tile_id", Integer, ForeignKey("tiles.id", ondelete="CASCADE")),
    Column("x1", Float, nullable=False),
    Column("y1", Float, nullable=False),
    Column("x2", Float, nullable=False),
    Column("y2", Float, nullable=False),
    Column("score", Float, nullable=False),
    Column("class_id", Integer, nullable=False),
    Column("model", String(200), nullable=False),
    Column("lon", Float),
    Column("lat", Float),
    Column("error_radius_m", Float),
    Index("ix_detections_frame", "frame_id"),
)

hits = Table(
    "hits",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("tile_id", Integer, ForeignKey("tiles.id", ondelete="CASCADE"), nullable=False),
    Column("detection_id", Integer, ForeignKey("detections.id", ondelete="SET NULL")),
    # where the candidate came from: "detector" (flagged tile) or "volunteers" (aggregated answers)
    Column("source", String(16), nullable=False),
    Column("status", String(16), nullable=False, default="candidate"),
    Column("x", Float, nullable=False),  # point of interest in frame pixels
    Column("y", Float, nullable=False),
    Column("lon", Float),
    Column("lat", Float),
    Column("error_radius_m", Float),
    Column("confidence", Float, nullable=False),
    Column("note", Text, nullable=False, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("decided_at", DateTime(timezone=True)),
    _states("status", HIT_STATES),
    UniqueConstraint("tile_id", "source", name="uq_hits_tile_source"),
    Index("ix_hits_status", "status"),
)
