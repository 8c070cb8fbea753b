"""What every hit export says about a hit, worked out once.

``load_records`` reads the hits a filter selects, groups views of one person
(unless asked not to), and attaches who among the volunteers said "person" on
each view's tile. GPX, KML, GeoJSON, CSV and the cards all write from these
records, so they never disagree about a position, a radius or a name.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from sartriage.coords import lat_lon_dms, to_mgrs, to_utm
from sartriage.hits import HitFilter, list_hits
from sartriage.hits.grouping import HitGroup, group_hits, single
from sartriage.store import Store, schema
from sartriage.words import count

# ground teams are sent to confirmed people; the rest is for analysts who ask for it
DEFAULT_STATUSES = ("confirmed",)


@dataclass(frozen=True)
class ExportOptions:
    """Which hits an export holds and how."""

    filter: HitFilter = field(default_factory=lambda: HitFilter(statuses=DEFAULT_STATUSES))
    group: bool = True  # one person, one hit
    anonymous: bool = False  # strip volunteer names


@dataclass(frozen=True)
class HitRecord:
    group: HitGroup
    volunteers: tuple[str, ...]  # who said "person" on the views' tiles; empty when stripped
    volunteer_count: int

    @property
    def name(self) -> str:
        return self.group.name

    @property
    def lon(self) -> float | None:
        return self.group.lon

    @property
    def lat(self) -> float | None:
        return self.group.lat

    def description(self) -> str:
        """One paragraph for a waypoint or placemark: confidence, error radius, views, note."""
        g = self.group
        parts = [f"{g.status.replace('_', ' ')} hit, confidence {g.confidence:.2f}"]
        if g.error_radius_m is not None:
            parts.append(f"error radius {g.error_radius_m:.0f} m")
        else:
            parts.append("position not known" if not g.located else "error radius unknown")
        views = ", ".join(g.frame_names)
        parts.append(f"{count(len(g.views), 'view')}: {views}")
        parts.append(f"seen {g.first.seen}")
        if self.volunteer_count:
            who = f": {', '.join(self.volunteers)}" if self.volunteers else ""
            parts.append(f"confirmed by {count(self.volunteer_count, 'volunteer')}{who}")
        if g.note:
            parts.append("note: " + " / ".join(g.note.splitlines()))
        return "; ".join(parts)

    def properties(self) -> dict[str, Any]:
        """Flat, JSON-safe attributes (GeoJSON properties, CSV columns)."""
        g = self.group
        lead = g.lead
        out: dict[str, Any] = {
            "name": g.name,
            "hit_id": g.id,
            "status": g.status,
            "confidence": round(g.confidence, 4),
            "error_radius_m": None if g.error_radius_m is None else round(g.error_radius_m, 2),
            "lat": None if g.lat is None else round(g.lat, 7),
            "lon": None if g.lon is None else round(g.lon, 7),
            "time": g.first.seen_iso,  # UTC (+00:00), or a camera clock of unknown zone (no offset)
            "time_zone_known": g.first.captured_at is not None,
            "frame": lead.frame_name,
            "frames": ";".join(g.frame_names),
            "views": len(g.views),
            "hit_ids": ";".join(str(i) for i in g.hit_ids),
            "flight": lead.flight_name,
            "source": ";".join(sorted({v.source for v in g.views})),
            "x": round(lead.x, 1),
            "y": round(lead.y, 1),
            "volunteers": self.volunteer_count,
            "note": g.note,
        }
        if self.volunteers:
            out["volunteer_names"] = ";".join(self.volunteers)
        if g.located:
            assert g.lon is not None and g.lat is not None
            utm = to_utm(g.lon, g.lat)
            out.update(
                mgrs=to_mgrs(g.lon, g.lat),
                utm_zone=f"{utm.zone}{utm.band}",
                utm_easting=round(utm.easting, 1),
                utm_northing=round(utm.northing, 1),
                dms=lat_lon_dms(g.lon, g.lat),
            )
        return out


def placed(records: Sequence[HitRecord]) -> tuple[list[tuple[HitRecord, float, float]], list[str]]:
    """The records with a ground position (with its lon, lat), and a line for each one a map format skips."""
    found, skipped = [], []
    for record in records:
        g = record.group
        if g.lon is None or g.lat is None:
            skipped.append(f"{g.name}: no ground position (frame {g.lead.frame_name} is not georeferenced)")
        else:
            found.append((record, g.lon, g.lat))
    return found, skipped


def volunteers_saying_person(store: Store, tile_ids: Iterable[int]) -> dict[int, list[str]]:
    """Per tile, the names of volunteers who answered "person" (ordered by name)."""
    ids = sorted(set(tile_ids))
    if not ids:
        return {}
    a, v = schema.answers, schema.volunteers
    query = (
        select(a.c.tile_id, v.c.name)
        .select_from(a.join(v, a.c.volunteer_id == v.c.id))
        .where(a.c.tile_id.in_(ids), a.c.answer == "person")
        .order_by(a.c.tile_id, v.c.name)
    )
    found: dict[int, list[str]] = {}
    with store.connect() as conn:
        for tile_id, name in conn.execute(query):
            found.setdefault(int(tile_id), []).append(str(name))
    return found


def records_for(
    groups: Sequence[HitGroup], by_tile: dict[int, list[str]], anonymous: bool
) -> list[HitRecord]:
    out = []
    for g in groups:
        names = sorted({n for v in g.views for n in by_tile.get(v.tile_id, [])})
        out.append(HitRecord(g, () if anonymous else tuple(names), len(names)))
    return out


def load_records(store: Store, options: ExportOptions | None = None) -> list[HitRecord]:
    """The hits an export holds, grouped per person unless ``options.group`` is off; best first.

    Grouping also looks at every hit marked found, whatever the filter: a person found through one view is
    found, so the group takes the status "found" and leaves an export of confirmed hits (a team is never
    sent to a person already found because another frame also showed them)."""
    options = options or ExportOptions()
    hits = list_hits(store, options.filter)
    if not options.group:
        groups = [single(h) for h in hits]
    else:
        chosen = {h.id for h in hits}
        found = [h for h in list_hits(store, HitFilter(statuses=("found",))) if h.id not in chosen]
        wanted = set(options.filter.statuses)
        groups = [
            g
            for g in group_hits([*hits, *found])
            if chosen.intersection(g.hit_ids) and (not wanted or g.status in wanted)
        ]
    views = [v for g in groups for v in g.views]
    return records_for(groups, volunteers_saying_person(store, (v.tile_id for v in views)), options.anonymous)
