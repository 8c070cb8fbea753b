from __future__ import annotations

import itertools
import math
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import pytest
from pyproj import Geod
from xt2_mission import Mission

from sartriage.hits import Hit, HitFilter, list_hits
from sartriage.hits.grouping import group_hits

GEOD = Geod(ellps="WGS84")
BASE = Hit(
    id=0,
    status="confirmed",
    source="detector",
    confidence=0.5,
    x=0.0,
    y=0.0,
    lon=None,
    lat=None,
    error_radius_m=None,
    note="",
    created_at=datetime(2026, 1, 1, tzinfo=UTC),
    decided_at=None,
    tile_id=1,
    tile=(0, 0, 320, 256),
    tile_state="flagged",
    detection_id=None,
    box=None,
    detection_score=None,
    frame_id=1,
    frame_path="/card/a.jpg",
    frame_size=(640, 512),
    captured_at=None,
    flight_id=1,
    flight_name="f",
)


def at(hit_id: int, east_m: float, radius: float | None, confidence: float = 0.5) -> Hit:
    """A hit ``east_m`` metres east of 10°E 47°N."""
    lon, lat, _ = GEOD.fwd(10.0, 47.0, 90.0, east_m) if east_m else (10.0, 47.0, 0)
    return replace(BASE, id=hit_id, lon=lon, lat=lat, error_radius_m=radius, confidence=confidence)


@pytest.mark.parametrize(
    ("hits", "expected"),
    [
        # error circles 5 m + 5 m: 9 m apart touch, 11 m apart do not
        ([at(1, 0, 5), at(2, 9, 5)], [[1, 2]]),
        ([at(1, 0, 5), at(2, 11, 5)], [[1], [2]]),
        # a chain links transitively: 1-2 and 2-3 touch, 1-3 do not
        ([at(1, 0, 5), at(2, 9, 5), at(3, 18, 5)], [[1, 2, 3]]),
        # a large radius reaches far
        ([at(1, 0, 2), at(2, 40, 39)], [[1, 2]]),
        # without a radius or a position a hit stays alone
        ([at(1, 0, 5), at(2, 1, None)], [[1], [2]]),
        ([at(1, 0, 5), replace(BASE, id=2)], [[1], [2]]),
    ],
)
def test_groups_link_views_whose_error_circles_touch(hits: list[Hit], expected: list[list[int]]) -> None:
    assert sorted(list(g.hit_ids) for g in group_hits(hits)) == expected


def test_grouping_does_not_depend_on_input_order() -> None:
    hits = [at(1, 0, 5, 0.6), at(2, 9, 5, 0.9), at(3, 18, 5, 0.7), at(4, 100, 3, 0.8), at(5, 104, 3, 0.8)]
    first = group_hits(hits)
    for order in itertools.permutations(hits):
        again = group_hits(list(order))
        assert [g.hit_ids for g in again] == [g.hit_ids for g in first]
        assert [(g.lon, g.lat, g.error_radius_m) for g in again] == [
            (g.lon, g.lat, g.error_radius_m) for g in first
        ]
    # best first: the group with the 0.9 view, then the tie at 0.8 broken by lowest id
    assert [g.name for g in first] == ["H2", "H4"]


def test_position_is_the_error_weighted_mean() -> None:
    near, far = at(1, 0, 2.0), at(2, 6, 6.0)
    (group,) = group_hits([near, far])
    w = np.array([1 / 2.0**2, 1 / 6.0**2])
    expected_east = float(w @ [0.0, 6.0] / w.sum())  # 0.6 m east of the sure view
    _, _, east = GEOD.inv(10.0, 47.0, group.lon, group.lat)
    assert east == pytest.approx(expected_east, abs=0.01)
    # the spread (5.4 m to the far view) is larger than the mean's own uncertainty (1.9 m)
    assert group.error_radius_m == pytest.approx(6.0 - expected_east, abs=0.01)


def test_real_overlapping_frames_give_one_hit_per_person(mission: Mission) -> None:
    with mission.open() as store:
        hits = list_hits(store, HitFilter(statuses=("confirmed",)))
    groups = group_hits(hits)
    by_views = {frozenset(g.hit_ids): g for g in groups}
    assert set(by_views) == {frozenset(v) for v in mission.views.values()}
    p1 = by_views[frozenset(mission.views["P1"])]
    assert len(p1.views) == 5 and len(set(p1.frame_names)) == 5  # DJI_0040 … DJI_0048 all see P1
    for name, views in mission.views.items():
        g = by_views[frozenset(views)]
        members = [h for h in hits if h.id in views]
        radii = np.array([h.error_radius_m for h in members])
        combined = 1 / math.sqrt(float(np.sum(1 / radii**2)))
        spread = max(GEOD.inv(g.lon, g.lat, h.lon, h.lat)[2] for h in members)
        assert g.error_radius_m == pytest.approx(max(combined, spread), rel=1e-6)
        true_lon, true_lat = mission.people[name]
        # views differ by a pixel or two (0.13 m each): the mean lands well inside the radius of the truth
        assert GEOD.inv(g.lon, g.lat, true_lon, true_lat)[2] < 1.0 < g.error_radius_m


def test_the_sweep_links_exactly_the_pairs_whose_circles_touch() -> None:
    """Against every pair compared directly: 400 views scattered over a few hundred metres, radii 1-30 m."""
    from sartriage.hits.grouping import _components

    rng = np.random.default_rng(3)
    n = 400
    x, y = rng.uniform(0, 600, n), rng.uniform(0, 300, n)
    r = rng.uniform(1, 30, n)
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for i, j in itertools.combinations(range(n), 2):
        if math.hypot(x[i] - x[j], y[i] - y[j]) <= r[i] + r[j]:
            a, b = root(i), root(j)
            parent[max(a, b)] = min(a, b)
    expected = sorted(sorted(i for i in range(n) if root(i) == k) for k in {root(i) for i in range(n)})
    found = sorted(sorted(c) for c in _components(x, y, r))
    assert found == expected
    assert 1 < len(found) < n  # some views linked, not all
