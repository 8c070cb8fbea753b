"""Volunteer review: the queue, quality control, aggregation, tile images and the review server."""

from sartriage.errors import Conflict, Forbidden, NotFound
from sartriage.review.coordinator import AggregateReport
from sartriage.review.links import invite_link
from sartriage.review.queue import ReviewQueue
from sartriage.review.values import (
    Accuracy,
    Escalation,
    Lease,
    Progress,
    QueueSettings,
    QueueStatus,
    Volunteer,
)

__all__ = [
    "Accuracy",
    "AggregateReport",
    "Conflict",
    "Escalation",
    "Forbidden",
    "Lease",
    "NotFound",
    "Progress",
    "QueueSettings",
    "QueueStatus",
    "ReviewQueue",
    "Volunteer",
    "invite_link",
]
