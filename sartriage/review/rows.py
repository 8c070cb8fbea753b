"""Rows of the review tables as the values the queue hands out."""

from __future__ import annotations

from typing import Any

from sartriage.review.values import Lease, Volunteer
from sartriage.store import stored_utc


def to_volunteer(row: Any) -> Volunteer:
    return Volunteer(
        id=int(row.id),
        name=row.name,
        role=row.role,
        exam_state=row.exam_state,
        created_at=stored_utc(row.created_at),
        joined_at=stored_utc(row.joined_at),
        revoked=row.revoked_at is not None,
    )


def to_lease(row: Any) -> Lease:
    return Lease(
        row.public_id, row.volunteer_id, row.tile_id, row.honeypot_id, row.kind, stored_utc(row.expires_at)
    )
