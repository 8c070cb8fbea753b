"""The map's local projection, grid steps and the one-line coordinate summary."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ui.geo import LocalProjection, format_all, grid_values, nice_step


def test_local_projection_round_trip_and_scale() -> None:
    proj = LocalProjection(37.68, 55.97)
    lon = np.array([37.68, 37.69, 37.67])
    lat = np.array([55.97, 55.975, 55.96])
    x, y = proj.to_scene(lon, lat)
    back_lon, back_lat = proj.to_lonlat(x, y)
    np.testing.assert_allclose(back_lon, lon, atol=1e-12)
    np.testing.assert_allclose(back_lat, lat, atol=1e-12)
    # 0.01° of longitude at 55.97° N is about 623 m; 0.005° of latitude about 556 m, north is up (y < 0)
    assert x[1] == pytest.approx(0.01 * 111_195 * math.cos(math.radians(55.97)), rel=1e-3)
    assert y[1] == pytest.approx(-0.005 * 111_195, rel=1e-3)


def test_local_projection_agrees_with_utm_over_a_search_area() -> None:
    """Across 2 km the local projection's distances stay within 0.5 % of UTM's (pyproj)."""
    from sartriage.coords import UtmProjection

    lon = np.array([37.670, 37.700, 37.685])
    lat = np.array([55.965, 55.980, 55.950])
    proj = LocalProjection.around(lon, lat)
    x, y = proj.to_scene(lon, lat)
    ux, uy = UtmProjection.around(37.68, 55.97).forward(lon, lat)
    local = np.hypot(np.diff(x), np.diff(y))
    utm = np.hypot(np.diff(ux), np.diff(uy))
    np.testing.assert_allclose(local, utm, rtol=5e-3)


def test_projection_around_ignores_unknown_positions() -> None:
    proj = LocalProjection.around(np.array([np.nan, 10.0, 12.0]), np.array([np.nan, 50.0, 52.0]))
    assert (proj.lon0, proj.lat0) == (11.0, 51.0)
    assert LocalProjection.around(np.array([np.nan]), np.array([np.nan])) == LocalProjection(0.0, 0.0)


@pytest.mark.parametrize(
    ("lon", "lat", "expected"),
    [
        (37.6843, 55.9736, ("55.973600, 37.684300", "N", "UTM 37", "MGRS 37U")),
        (-77.2129, 41.5555, ("41.555500, -77.212900", "W", "UTM 18", "MGRS 18T")),
        (-122.4, -33.9, ("-33.900000, -122.400000", "S", "UTM 10", "MGRS 10H")),
        (10.0, 85.0, ("85.000000, 10.000000", "N", "polar", "polar")),
    ],
)
def test_format_all_holds_every_notation(lon: float, lat: float, expected: tuple[str, ...]) -> None:
    text = format_all(lon, lat)
    for part in expected:
        assert part in text


@pytest.mark.parametrize(
    ("span", "lines", "expected"),
    [(730.0, 6, 200.0), (0.013, 6, 0.005), (120.0, 1, 200.0), (95.0, 1, 100.0), (3.0, 5, 1.0)],
)
def test_nice_step(span: float, lines: int, expected: float) -> None:
    assert nice_step(span, lines) == pytest.approx(expected)


def test_grid_lines_stay_on_the_globe() -> None:
    assert grid_values(-130.0, 130.0, 50.0, 90.0) == [-50.0, 0.0, 50.0]  # no "100°" latitude
    assert grid_values(-400.0, 400.0, 100.0, 180.0) == [-100.0, 0.0, 100.0]
    assert grid_values(37.6841, 37.6847, 0.0002, 180.0) == pytest.approx([37.6842, 37.6844, 37.6846])
