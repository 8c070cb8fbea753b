"""Rows of the review tables as the values the queue hands out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sartriage.review.values import Lease, Volunteer


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands datetimes back without a zone; every time in the store is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def utc(value: datetime) -> datetime:
    """:func:`aware` for a column that is never NULL."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def to_volunteer(row: Any) -> Volunteer:
    return Volunteer(
        id=int(row.id),
        name=row.name,
        role=row.role,
        exam_state=row.exam_state,
        created_at=utc(row.created_at),
        joined_at=aware(row.joined_at),
        revoked=row.revoked_at is not None,
    )


def to_lease(row: Any) -> Lease:
    return Lease(row.public_id, row.volunteer_id, row.tile_id, row.honeypot_id, row.kind, utc(row.expires_at))
