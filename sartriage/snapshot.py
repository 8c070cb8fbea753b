"""The open mission as one consistent read: flights, frames for the map, hits with their volunteers'
agreement, and the persons on the ground. Qt-free: the app reads it off its GUI thread, and a command or a
report can read the same."""

from __future__ import annotations

from dataclasses import dataclass

from sartriage import hits
from sartriage.hits.grouping import ON_THE_GROUND, HitGroup, group_hits, group_of_each
from sartriage.mission_reads import MapFrames, agreement, map_frames, volunteer_votes
from sartriage.scan import FlightSummary, summarise
from sartriage.store import Store

SHOWN_STATUSES = ("candidate", "confirmed", "found", "not_found", "rejected")


@dataclass(frozen=True)
class Snapshot:
    flights: list[FlightSummary]
    frames: MapFrames
    hits: list[hits.Hit]  # every hit, rejected ones too (the list filters; the map leaves rejected out)
    hit_counts: dict[str, int]
    agreement: dict[int, str]  # hit id -> volunteer agreement on its tile, where volunteers answered
    groups: dict[int, HitGroup]  # hit id -> the views of the same spot among the shown hits
    ground: list[HitGroup]  # confirmed and found hits, one per person, as the ground exports place them


def read_snapshot(store: Store) -> Snapshot:
    shown = hits.list_hits(store, hits.HitFilter(statuses=SHOWN_STATUSES))
    with store.connect() as conn:
        votes = volunteer_votes(conn, sorted({h.tile_id for h in shown}))
    return Snapshot(
        flights=summarise(store),
        frames=map_frames(store),
        hits=shown,
        hit_counts=hits.counts(store),
        agreement={h.id: agreement(votes[h.tile_id]) for h in shown if h.tile_id in votes},
        groups=group_of_each([h for h in shown if h.status != "rejected"]),
        ground=group_hits([h for h in shown if h.status in ON_THE_GROUND]),
    )
