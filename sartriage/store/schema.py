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
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

SCHEMA_VERSION = 7

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
    Column("captured_at", DateTime(timezone=True)),  # UTC: the photo's offset tag or its GPS time said so
    Column("captured_local", DateTime(timezone=False)),  # the camera's clock, time zone unknown (schema 5)
    Column("meta", JSON),
    Column("lon", Float),
    Column("lat", Float),
    Column("gsd_m", Float),
    Column("footprint", JSON),  # [[lon, lat], ...] or null
    Column("georef_note", Text),  # why a frame is not (or only roughly) georeferenced
    Column("model", String(200)),
    Column("imagery", String(16)),  # rgb | thermal (schema 2)
    Column("triage_note", Text),  # e.g. a model not fit for this imagery cleared nothing (schema 2)
    Column("georef", JSON),  # frames.stored record of the scan's georeferencing; null before schema 4
    _states("status", FRAME_STATES),
    # one content hash per mission: a re-copied card is not scanned twice
    UniqueConstraint("content_hash", name="uq_frames_hash"),
    Index("ix_frames_status", "status"),
    Index("ix_frames_flight", "flight_id"),
)

# A frame of many tiles (an orthomosaic) keeps the detector's output chunk by chunk while it is scanned,
# so an interrupted scan carries on from the last chunk; the rows go when the frame is done or failed.
frame_parts = Table(
    "frame_parts",
    metadata,
    Column("frame_id", Integer, ForeignKey("frames.id", ondelete="CASCADE"), primary_key=True),
    Column("start", Integer, primary_key=True),  # the chunk's first tile in the frame's tile plan
    Column("plan_key", String(64), nullable=False),  # the model and tile windows the detections belong to
    Column("detections", LargeBinary, nullable=False),  # scan.parts: one Detections per tile
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
    # a clue class of the card (what a lost person leaves, or a person the model names otherwise):
    # it sends its tile to review, never makes a hit and is never counted as a person
    Column("clue", Boolean, nullable=False, default=False),
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
    # where the candidate came from: "detector" (flagged tile), "volunteers" (aggregated answers) or
    # "coordinator" (a person the coordinator marked on a frame)
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
    # one hit per tile from the detector and one from the volunteers; the coordinator marks every person
    # of a group, so their marks may share a tile (schema 7)
    Index(
        "uq_hits_tile_source",
        "tile_id",
        "source",
        unique=True,
        sqlite_where=text("source != 'coordinator'"),
        postgresql_where=text("source != 'coordinator'"),
    ),
    Index("ix_hits_status", "status"),
)


# ── review: volunteers, their queue, answers and quality control (sartriage.review) ──────────────

VOLUNTEER_ROLES = ("volunteer", "coordinator")
EXAM_STATES = ("pending", "passed", "failed", "waived")
ANSWER_VALUES = ("person", "no_person", "unsure")
TRUTH_VALUES = ("person", "no_person")
REVIEW_STATES = ("open", "done", "escalated", "decided")
ASSIGNMENT_STATES = ("active", "answered", "expired", "revoked")
ASSIGNMENT_KINDS = ("review", "honeypot", "exam")
HONEYPOT_SOURCES = ("confirmed_hit", "confirmed_empty", "coordinator", "pack")
RAISE_KINDS = ("flight", "area")


def _one_of(column: str, values: tuple[str, ...], name: str) -> CheckConstraint:
    quoted = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({quoted})", name=name)


volunteers = Table(
    "volunteers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("role", String(16), nullable=False, default="volunteer"),
    # sha256 of the bearer token: the token itself is shown once and never stored
    Column("token_hash", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("joined_at", DateTime(timezone=True)),
    Column("last_seen_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
    Column("exam_state", String(16), nullable=False, default="pending"),
    Column("exam_retries", Integer, nullable=False, default=0, server_default="0"),  # entry checks restarted
    _one_of("role", VOLUNTEER_ROLES, "ck_volunteers_role"),
    _one_of("exam_state", EXAM_STATES, "ck_volunteers_exam"),
    UniqueConstraint("token_hash", name="uq_volunteers_token"),
)

# one row per tile in the review queue: its priority, how many answers it needs and has, its posterior
review_tiles = Table(
    "review_tiles",
    metadata,
    Column("tile_id", Integer, ForeignKey("tiles.id", ondelete="CASCADE"), primary_key=True),
    Column("flight_id", Integer, ForeignKey("flights.id", ondelete="CASCADE"), nullable=False),
    Column("score", Float, nullable=False),
    Column("boost", Integer, nullable=False, default=0),  # coordinator raises; higher first
    Column("flight_created_at", DateTime(timezone=True), nullable=False),  # newer flights first
    Column("lon", Float),  # frame centre, for raises by area; never sent to volunteers
    Column("lat", Float),
    Column("needed", Integer, nullable=False),  # answers wanted now (overlap, raised on disagreement)
    Column("answers", Integer, nullable=False, default=0),
    Column("inflight", Integer, nullable=False, default=0),  # active leases
    Column("state", String(16), nullable=False, default="open"),
    Column("posterior", Float),  # P(person) from the answers so far
    Column("updated_at", DateTime(timezone=True), nullable=False),
    _one_of("state", REVIEW_STATES, "ck_review_tiles_state"),
    CheckConstraint("answers + inflight <= needed OR state <> 'open'", name="ck_review_tiles_capacity"),
    Index("ix_review_tiles_order", "state", "boost", "score"),
)

# known tiles: from this mission's confirmed hits / confirmed-empty tiles, or imported from a pack
honeypots = Table(
    "honeypots",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("tile_id", Integer, ForeignKey("tiles.id", ondelete="CASCADE")),
    Column("truth", String(16), nullable=False),
    Column("source", String(16), nullable=False),
    Column("pack", String(200)),  # name of the imported pack
    Column("pack_item", String(64)),  # sha256 of the item's tile image: importing twice adds nothing
    Column("image_jpeg", LargeBinary),  # pack items carry their pixels; local ones are cut from the frame
    Column("context_jpeg", LargeBinary),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    _one_of("truth", TRUTH_VALUES, "ck_honeypots_truth"),
    _one_of("source", HONEYPOT_SOURCES, "ck_honeypots_source"),
    CheckConstraint("(tile_id IS NULL) <> (image_jpeg IS NULL)", name="ck_honeypots_pixels"),
    UniqueConstraint("tile_id", name="uq_honeypots_tile"),
    UniqueConstraint("pack_item", name="uq_honeypots_pack_item"),
)

# a lease of one tile (or honeypot) to one volunteer; it returns to the queue when it expires
assignments = Table(
    "assignments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("public_id", String(32), nullable=False),  # random: what the volunteer's page sees
    Column("volunteer_id", Integer, ForeignKey("volunteers.id", ondelete="CASCADE"), nullable=False),
    Column("tile_id", Integer, ForeignKey("tiles.id", ondelete="CASCADE")),
    Column("honeypot_id", Integer, ForeignKey("honeypots.id", ondelete="CASCADE")),
    Column("kind", String(16), nullable=False),
    Column("state", String(16), nullable=False, default="active"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("answered_at", DateTime(timezone=True)),
    _one_of("kind", ASSIGNMENT_KINDS, "ck_assignments_kind"),
    _one_of("state", ASSIGNMENT_STATES, "ck_assignments_state"),
    CheckConstraint("(tile_id IS NULL) <> (honeypot_id IS NULL)", name="ck_assignments_target"),
    UniqueConstraint("public_id", name="uq_assignments_public"),
    # a volunteer never gets the same tile (or honeypot) twice
    UniqueConstraint("volunteer_id", "tile_id", name="uq_assignments_volunteer_tile"),
    UniqueConstraint("volunteer_id", "honeypot_id", name="uq_assignments_volunteer_honeypot"),
    Index("ix_assignments_active", "state", "expires_at"),
    Index("ix_assignments_volunteer", "volunteer_id", "state"),
)

answers = Table(
    "answers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("assignment_id", Integer, ForeignKey("assignments.id", ondelete="CASCADE"), nullable=False),
    Column("volunteer_id", Integer, ForeignKey("volunteers.id", ondelete="CASCADE"), nullable=False),
    Column("tile_id", Integer, ForeignKey("tiles.id", ondelete="CASCADE")),
    Column("honeypot_id", Integer, ForeignKey("honeypots.id", ondelete="CASCADE")),
    Column("answer", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    _one_of("answer", ANSWER_VALUES, "ck_answers_answer"),
    UniqueConstraint("assignment_id", name="uq_answers_assignment"),
    UniqueConstraint("volunteer_id", "tile_id", name="uq_answers_volunteer_tile"),
    UniqueConstraint("volunteer_id", "honeypot_id", name="uq_answers_volunteer_honeypot"),
    Index("ix_answers_tile", "tile_id"),
)

# tiles the volunteers could not agree on, for the coordinator to decide
escalations = Table(
    "escalations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("tile_id", Integer, ForeignKey("tiles.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("posterior", Float),
    Column("reason", Text, nullable=False),
    Column("decision", String(16)),
    Column("decided_at", DateTime(timezone=True)),
    Column("decided_by", Integer, ForeignKey("volunteers.id", ondelete="SET NULL")),
    CheckConstraint(
        "decision IS NULL OR decision IN ('person', 'no_person')", name="ck_escalations_decision"
    ),
    UniqueConstraint("tile_id", name="uq_escalations_tile"),
)

# the coordinator's priority raises, kept so tiles a scan adds later get them too
priority_raises = Table(
    "priority_raises",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("flight_id", Integer, ForeignKey("flights.id", ondelete="CASCADE")),
    Column("west", Float),
    Column("south", Float),
    Column("east", Float),
    Column("north", Float),
    Column("amount", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    _one_of("kind", RAISE_KINDS, "ck_priority_raises_kind"),
)
