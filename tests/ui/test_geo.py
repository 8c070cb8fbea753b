"""Coordinate notations and the local projection, against values worked out independently."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ui.geo import LocalProjection, dms, format_dms, format_mgrs, format_utm, nice_step


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (55.75, "55°45′00.0″N"),
        (-33.5, "33°30′00.0″S"),
        (37.68431766, "37°41′03.5″N"),
        (0.0, "0°00′00.0″N"),
        (59.99999, "60°00′00.0″N"),  # rounding carries into minutes and degrees
    ],
)
def test_dms(value: float, expected: str) -> None:
    assert dms(value, "N", "S") == expected


@pytest.mark.parametrize(
    ("lon", "lat", "utm", "mgrs_prefix"),
    [
        # Moscow region (the Lacmus photo): zone 37, northern hemisphere, band U
        (37.6843, 55.9736, "37N", "37U"),
        # DeerVision survey, Pennsylvania: zone 18, band T
        (-77.2129, 41.5555, "18N", "18T"),
        # southern hemisphere, band H
        (-122.4, -33.9, "10S", "10H"),
    ],
)
def test_utm_and_mgrs_zones(lon: float, lat: float, utm: str, mgrs_prefix: str) -> None:
    assert format_utm(lon, lat).startswith(utm + " ")
    text = format_mgrs(lon, lat)
    assert text.startswith(mgrs_prefix + " ")
    _zone_band, square, easting, northing = text.split()
    assert len(square) == 2 and len(easting) == 5 and len(northing) == 5


def test_utm_easting_matches_mgrs_digits() -> None:
    # the MGRS easting is the UTM easting modulo 100 km
    utm = format_utm(37.6843, 55.9736).split()
    mgrs_text = format_mgrs(37.6843, 55.9736).split()
    assert int(utm[1].rstrip("E")) % 100_000 == int(mgrs_text[2])


def test_polar_positions_say_so() -> None:
    assert "polar" in format_utm(10.0, 85.0)
    assert "polar" in format_mgrs(10.0, -81.0)


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


def test_projection_around_ignores_unknown_positions() -> None:
    proj = LocalProjection.around(np.array([np.nan, 10.0, 12.0]), np.array([np.nan, 50.0, 52.0]))
    assert (proj.lon0, proj.lat0) == (11.0, 51.0)
    assert LocalProjection.around(np.array([np.nan]), np.array([np.nan])) == LocalProjection(0.0, 0.0)


def test_format_dms_orders_latitude_first() -> None:
    assert format_dms(-77.5, 41.25) == "41°15′00.0″N 77°30′00.0″W"


@pytest.mark.parametrize(
    ("span", "lines", "expected"),
    [(730.0, 6, 200.0), (0.013, 6, 0.005), (120.0, 1, 200.0), (95.0, 1, 100.0), (3.0, 5, 1.0)],
)
def test_nice_step(span: float, lines: int, expected: float) -> None:
    assert nice_step(span, lines) == pytest.approx(expected)
