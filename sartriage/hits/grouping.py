"""One person, one hit: views of the same spot from overlapping frames become one group.

A survey grid sees each spot two to four times, so one person raises several
candidates. Two located hits are linked when the distance between them is at
most the sum of their error radii (their error circles touch); groups are the
connected components of that graph, so linking is transitive. Everything is
ordered by hit id first, so the same hits always give the same groups.

A group's position is the inverse-variance mean of its views (weights 1/r²,
each error radius taken as one standard deviation). Its radius is that mean's
own uncertainty, ``1/sqrt(sum 1/r²)``, but never less than the distance to its
farthest view: views of one drone share their GPS and attitude errors, so the
spread of the views is the honest floor. Hits without a position or without an
error radius cannot be linked and stay groups of one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from sartriage.coords import UtmProjection
from sartriage.hits import Hit

# which status a group shows when its views disagree, most telling first
STATUS_ORDER = ("found", "confirmed", "not_found", "candidate", "rejected")
# the hits that stand for a person on the ground: a team is (or was) sent there
ON_THE_GROUND = ("confirmed", "found")


@dataclass(frozen=True)
class HitGroup:
    """One person on the ground, seen in one or more views (hits)."""

    views: tuple[Hit, ...]  # best first
    lon: float | None
    lat: float | None
    error_radius_m: float | None

    @property
    def lead(self) -> Hit:
        """The best view: highest confidence, then lowest id."""
        return self.views[0]

    @property
    def id(self) -> int:
        return self.lead.id

    @property
    def name(self) -> str:
        return f"H{self.lead.id}"

    @property
    def confidence(self) -> float:
        return max(v.confidence for v in self.views)

    @property
    def status(self) -> str:
        present = {v.status for v in self.views}
        return next(s for s in STATUS_ORDER if s in present)

    @property
    def time(self) -> datetime:
        """When the person was first seen."""
        return min(v.time for v in self.views)

    @property
    def first(self) -> Hit:
        """The view the person was first seen in."""
        return min(self.views, key=lambda v: v.time)

    @property
    def located(self) -> bool:
        return self.lon is not None and self.lat is not None

    @property
    def frame_names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(v.frame_name for v in self.views))

    @property
    def hit_ids(self) -> tuple[int, ...]:
        return tuple(sorted(v.id for v in self.views))

    @property
    def note(self) -> str:
        return "\n".join(v.note for v in self.views if v.note)


def single(hit: Hit) -> HitGroup:
    """A group of one view, as the hit says."""
    return HitGroup((hit,), hit.lon, hit.lat, hit.error_radius_m)


def _best_first(views: Sequence[Hit]) -> tuple[Hit, ...]:
    return tuple(sorted(views, key=lambda h: (-h.confidence, h.id)))


def _find(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def _components(x: np.ndarray, y: np.ndarray, r: np.ndarray) -> list[list[int]]:
    """Linked views, as index lists. A sweep along x compares each view only with those close enough in x
    to touch it, so thousands of candidates (the app regroups on every refresh) need no n x n matrix."""
    n = len(x)
    parent = list(range(n))
    order = np.argsort(x, kind="stable")
    xs = x[order]
    widest = float(r.max()) if n else 0.0
    for a in range(n):
        i = int(order[a])
        end = int(np.searchsorted(xs, xs[a] + r[i] + widest, side="right"))
        near = order[a + 1 : end]
        touching = near[np.hypot(x[near] - x[i], y[near] - y[i]) <= r[near] + r[i]]
        for j in touching:
            ra, rb = _find(parent, i), _find(parent, int(j))
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(_find(parent, i), []).append(i)
    return list(groups.values())


def _merge(
    views: Sequence[Hit], x: np.ndarray, y: np.ndarray, r: np.ndarray, proj: UtmProjection
) -> HitGroup:
    w = 1.0 / np.square(r)
    cx, cy = float(np.sum(w * x) / w.sum()), float(np.sum(w * y) / w.sum())
    spread = float(np.max(np.hypot(x - cx, y - cy)))
    radius = max(float(1.0 / np.sqrt(w.sum())), spread)
    lon, lat = proj.inverse(np.array([cx]), np.array([cy]))
    return HitGroup(_best_first(views), float(lon[0]), float(lat[0]), radius)


def group_hits(hits: Sequence[Hit]) -> list[HitGroup]:
    """Group views of the same person; groups best first (highest confidence, then lowest hit id)."""
    ordered = sorted(hits, key=lambda h: h.id)
    linkable = [
        h for h in ordered if h.located and h.error_radius_m is not None and np.isfinite(h.error_radius_m)
    ]
    linked_ids = {h.id for h in linkable}
    alone = [h for h in ordered if h.id not in linked_ids]
    groups = [single(h) for h in alone]
    if linkable:
        lons = np.array([h.lon for h in linkable], dtype=np.float64)
        lats = np.array([h.lat for h in linkable], dtype=np.float64)
        proj = UtmProjection.around(float(np.median(lons)), float(np.median(lats)))
        x, y = proj.forward(lons, lats)
        # a zero radius would give infinite weight: a centimetre is as sure as any position gets
        r = np.maximum(np.array([h.error_radius_m for h in linkable], dtype=np.float64), 0.01)
        for members in _components(x, y, r):
            idx = np.array(members)
            groups.append(_merge([linkable[i] for i in members], x[idx], y[idx], r[idx], proj))
    return sorted(groups, key=lambda g: (-g.confidence, g.lead.id))


def group_of_each(hits: Sequence[Hit]) -> dict[int, HitGroup]:
    """Each hit's group among ``hits``, by hit id (a group of one where no other view links to it)."""
    return {v.id: g for g in group_hits(hits) for v in g.views}


def same_spot(hit: Hit, group: HitGroup) -> list[Hit]:
    """The other views of the person ``hit`` shows, those on the ground first (then best first)."""
    others = [v for v in group.views if v.id != hit.id]
    return sorted(others, key=lambda v: v.status not in ON_THE_GROUND)
