from __future__ import annotations

import math

import numpy as np
import pytest

from sartriage.frames import error_radius
from sartriage.frames.error_radius import ErrorBudget
from sartriage.frames.metadata import FrameMeta

BUDGET = ErrorBudget(gps_m=5.0, height_m=3.0, tilt_deg=2.0, yaw_deg=5.0, focal_fraction=0.02)


def test_nadir_point_carries_gps_and_tilt_only() -> None:
    radius = BUDGET.radius(100.0, np.array([0.0]))
    assert radius[0] == pytest.approx(math.hypot(5.0, math.radians(2.0) * 100.0))


def test_radius_grows_with_distance_from_nadir_and_with_height_error() -> None:
    distances = np.array([0.0, 20.0, 50.0, 100.0, 200.0])
    radius = BUDGET.radius(100.0, distances)
    assert np.all(np.diff(radius) > 0)
    worse = ErrorBudget(gps_m=5.0, height_m=30.0, tilt_deg=2.0, yaw_deg=5.0, focal_fraction=0.02)
    assert np.all(worse.radius(100.0, distances[1:]) > radius[1:])
    assert np.all(BUDGET.radius(100.0, distances[1:], relief_m=10.0) > radius[1:])


@pytest.mark.parametrize(
    ("meta", "expected"),
    [
        (FrameMeta(10, 10), error_radius.GPS_95_M),
        (FrameMeta(10, 10, rtk_flag=50, rtk_std_lon_m=0.01, rtk_std_lat_m=0.02), 0.09),
        (FrameMeta(10, 10, rtk_flag=16, rtk_std_lon_m=0.01, rtk_std_lat_m=0.02), error_radius.GPS_95_M),
        (FrameMeta(10, 10, gps_error_m=1.5), 3.0),
    ],
)
def test_gps_error(meta: FrameMeta, expected: float) -> None:
    assert error_radius.gps_error_m(meta) == pytest.approx(expected)


def test_flat_ground_allows_for_terrain_and_a_dem_does_not() -> None:
    rtk = FrameMeta(10, 10, rtk_flag=50, rtk_std_hgt_m=0.02)
    assert error_radius.flat_height_error_m(100.0) == pytest.approx(error_radius.BARO_95_M + 30.0)
    assert error_radius.dem_height_error_m(rtk, 100.0, absolute=True) < 4.0
    assert error_radius.dem_height_error_m(FrameMeta(10, 10), 100.0, absolute=False) > 15.0


@pytest.mark.parametrize(
    ("height", "fov", "expected"),
    [
        (None, None, 5.0 + error_radius.FALLBACK_RADIUS_M),
        (0.0, 40.0, 5.0 + error_radius.FALLBACK_RADIUS_M),
        (100.0, None, 205.0),
        (100.0, 30.0, 5.0 + 100.0 * math.tan(math.radians(60.0))),
    ],
)
def test_fallback_radius(height: float | None, fov: float | None, expected: float) -> None:
    assert error_radius.fallback_radius_m(5.0, height, fov) == pytest.approx(expected)


def test_budget_is_json_safe() -> None:
    assert set(BUDGET.to_dict()) == {"gps_m", "height_m", "tilt_deg", "yaw_deg", "focal_fraction"}
