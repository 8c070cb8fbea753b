"""Coordinates for the screen: a local metric projection and the notations field teams read.

The map draws in metres east/north of a mission origin (an equirectangular
projection about the origin's latitude): at search-area scale (a few km) it is
true to well under a metre per hundred metres, needs no projection library and
keeps error circles round.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import mgrs
import numpy as np

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


def dms(value: float, positive: str, negative: str) -> str:
    hemisphere = positive if value >= 0 else negative
    total = round(abs(value) * 3600.0, 1)
    degrees, rest = divmod(total, 3600.0)
    minutes, seconds = divmod(rest, 60.0)
    return f"{int(degrees)}°{int(minutes):02d}′{seconds:04.1f}″{hemisphere}"


def format_dd(lon: float, lat: float) -> str:
    return f"{lat:.6f}, {lon:.6f}"


def format_dms(lon: float, lat: float) -> str:
    return f"{dms(lat, 'N', 'S')} {dms(lon, 'E', 'W')}"


def format_mgrs(lon: float, lat: float) -> str:
    """MGRS at 1 m, grouped as field teams write it (zone+band, square, easting, northing)."""
    if not -80.0 <= lat <= 84.0:
        return "outside MGRS (polar)"
    code = mgrs.MGRS().toMGRS(lat, lon, MGRSPrecision=5)
    return f"{code[:-12]} {code[-12:-10]} {code[-10:-5]} {code[-5:]}"


def format_utm(lon: float, lat: float) -> str:
    if not -80.0 <= lat <= 84.0:
        return "outside UTM (polar)"
    zone, hemisphere, easting, northing = mgrs.MGRS().MGRSToUTM(mgrs.MGRS().toMGRS(lat, lon, MGRSPrecision=5))
    return f"{zone}{hemisphere} {int(easting)}E {int(northing)}N"


def format_all(lon: float, lat: float) -> str:
    """One line with every notation, for the status bar and the clipboard."""
    return "  |  ".join(
        (
            format_dd(lon, lat),
            format_dms(lon, lat),
            f"UTM {format_utm(lon, lat)}",
            f"MGRS {format_mgrs(lon, lat)}",
        )
    )


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
