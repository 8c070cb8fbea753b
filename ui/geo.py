"""Coordinates for the screen: a local metric projection and a one-line summary in every notation.

The map draws in metres east/north of a mission origin (an equirectangular
projection about the origin's latitude): at search-area scale (a few km) it is
true to well under a metre per hundred metres, needs no projection library and
keeps error circles round.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sartriage.coords import lat_lon_decimal, lat_lon_dms, to_mgrs, to_utm

EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True)
class LocalProjection:
    """lon/lat (WGS84 degrees) <-> scene metres; scene y grows southward like the screen."""

    lon0: float
    lat0: float

    @property
    def _kx(self) -> float:
        return math.radians(1.0) * EARTH_RADIUS_M * math.cos(math.radians(self.lat0))

    @property
    def _ky(self) -> float:
        return math.radians(1.0) * EARTH_RADIUS_M

    def to_scene(self, lon: np.ndarray | float, lat: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
        x = (np.asarray(lon, dtype=np.float64) - self.lon0) * self._kx
        y = -(np.asarray(lat, dtype=np.float64) - self.lat0) * self._ky
        return x, y

    def to_lonlat(self, x: np.ndarray | float, y: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
        lon = np.asarray(x, dtype=np.float64) / self._kx + self.lon0
        lat = -np.asarray(y, dtype=np.float64) / self._ky + self.lat0
        return lon, lat

    @classmethod
    def around(cls, lons: np.ndarray, lats: np.ndarray) -> LocalProjection:
        """Centred on the middle of the given points (or 0, 0 when there are none)."""
        lons = np.asarray(lons, dtype=np.float64)
        lats = np.asarray(lats, dtype=np.float64)
        ok = np.isfinite(lons) & np.isfinite(lats)
        if not ok.any():
            return cls(0.0, 0.0)
        return cls(float(np.median(lons[ok])), float(np.median(lats[ok])))


STRAY_SPREAD = 10.0  # a point this many times the typical distance from the middle is a stray fix
STRAY_FLOOR_M = 2000.0  # never closer than this: two flights of one search lie a few km apart
STRAY_SHARE = 0.2  # at most this share of the points may be strays; more means the data is spread out


def lie_together(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Which points (scene metres) belong to the search area: all but a few far from the rest (a GPS fix
    before lock, a frame taken at home), so the map fits the area and not the world."""
    if len(x) < 3:
        return np.ones(len(x), dtype=bool)
    d = np.hypot(x - np.median(x), y - np.median(y))
    keep = d <= max(STRAY_SPREAD * float(np.median(d)), STRAY_FLOOR_M)
    return keep if keep.mean() >= 1.0 - STRAY_SHARE else np.ones(len(x), dtype=bool)


def grid_values(low: float, high: float, step: float, bound: float) -> list[float]:
    """The multiples of ``step`` from ``low`` to ``high`` that exist on the globe (within ±``bound``:
    90 for latitude, 180 for longitude)."""
    first = math.ceil(max(low, -bound) / step)
    last = math.floor(min(high, bound) / step)
    return [k * step for k in range(first, last + 1)]


def format_all(lon: float, lat: float) -> str:
    """One line with every notation field teams use (the core's formats), for the status bar."""
    parts = [lat_lon_decimal(lon, lat), lat_lon_dms(lon, lat)]
    if -80.0 <= lat <= 84.0:
        parts += [f"UTM {to_utm(lon, lat)}", f"MGRS {to_mgrs(lon, lat)}"]
    else:
        parts.append("UTM/MGRS: polar (use UPS)")
    return "  |  ".join(parts)


def nice_step(span: float, target_lines: int = 6) -> float:
    """A round grid or scale-bar step (1, 2, 5 × 10^k) giving about target_lines over span."""
    if span <= 0 or not math.isfinite(span):
        return 1.0
    raw = span / max(target_lines, 1)
    exponent = math.floor(math.log10(raw))
    for mult in (1.0, 2.0, 5.0, 10.0):
        step = mult * 10.0**exponent
        if step >= raw:
            return step
    return 10.0 ** (exponent + 1)
