"""Short names for the review tables of the mission store (see ``store/schema.py``), one set for every
review module."""

from sartriage.store import schema

V = schema.volunteers  # volunteers and the coordinator
RT = schema.review_tiles  # the queue: one row per tile sent to volunteers
A = schema.assignments  # leases
ANS = schema.answers
H = schema.honeypots  # known tiles
E = schema.escalations
