"""Small-area conversions between WGS84 lon/lat and a local east/north plane in metres.

A tangent plane with the WGS84 radii of curvature at the origin: within a few kilometres of
the origin the error is centimetres, far below any camera's error radius.
"""

from __future__ import annotations

import math

import numpy as np

_A = 6378137.0
_E2 = 6.69437999014e-3


def radii(lat_deg: float) -> tuple[float, float]:
    """(meridional, prime-vertical) radius of curvature in metres."""
    s = math.sin(math.radians(lat_deg))
    w = math.sqrt(1.0 - _E2 * s * s)
    return _A * (1.0 - _E2) / w**3, _A / w


def enu_to_lonlat(
    lon0: float, lat0: float, east: np.ndarray, north: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    m, n = radii(lat0)
    lat = lat0 + np.degrees(np.asarray(north) / m)
    lon = lon0 + np.degrees(np.asarray(east) / (n * math.cos(math.radians(lat0))))
    return lon, lat


def lonlat_to_enu(
    lon0: float, lat0: float, lon: np.ndarray, lat: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    m, n = radii(lat0)
    north = np.radians(np.asarray(lat, dtype=np.float64) - lat0) * m
    east = np.radians(np.asarray(lon, dtype=np.float64) - lon0) * n * math.cos(math.radians(lat0))
    return east, north


def distance_m(lon_a: np.ndarray, lat_a: np.ndarray, lon_b: np.ndarray, lat_b: np.ndarray) -> np.ndarray:
    """Ground distance between nearby points (tangent plane at the first point)."""
    lon_a, lat_a = np.asarray(lon_a, dtype=np.float64), np.asarray(lat_a, dtype=np.float64)
    m, n = radii(float(np.nanmean(lat_a)))
    north = np.radians(np.asarray(lat_b) - lat_a) * m
    east = np.radians(np.asarray(lon_b) - lon_a) * n * np.cos(np.radians(lat_a))
    return np.hypot(east, north)
