"""Coordinates as ground teams read them, and the small geodesy exports need.

Decimal degrees, degrees-minutes-seconds, UTM (pyproj) and MGRS (``mgrs``);
``geo:`` URIs (RFC 5870) for QR codes; geodesic error circles; a local UTM
projection for areas and maps in metres.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import mgrs
import numpy as np
from pyproj import CRS, Geod, Transformer

WGS84 = Geod(ellps="WGS84")
BANDS = "CDEFGHJKLMNPQRSTUVWX"


@dataclass(frozen=True)
class Utm:
    zone: int
    hemisphere: str  # "N" or "S"
    easting: float
    northing: float
    band: str  # the MGRS latitude band letter, as GPS units print it: "18T"

    @property
    def epsg(self) -> int:
        return (32600 if self.hemisphere == "N" else 32700) + self.zone

    def __str__(self) -> str:
        return f"{self.zone}{self.band} {self.easting:.0f} E {self.northing:.0f} N"


def utm_zone(lon: float, lat: float) -> tuple[int, str]:
    """The standard UTM zone (with the Norway and Svalbard exceptions) and hemisphere."""
    zone = int((lon + 180.0) // 6.0) % 60 + 1
    if 56.0 <= lat < 64.0 and 3.0 <= lon < 12.0:
        zone = 32
    elif 72.0 <= lat < 84.0 and lon >= 0.0:
        if lon < 9.0:
            zone = 31
        elif lon < 21.0:
            zone = 33
        elif lon < 33.0:
            zone = 35
        elif lon < 42.0:
            zone = 37
    return zone, ("N" if lat >= 0 else "S")


@lru_cache(maxsize=16)
def _to_utm(epsg: int) -> Transformer:
    return Transformer.from_crs(CRS.from_epsg(4326), CRS.from_epsg(epsg), always_xy=True)


@lru_cache(maxsize=16)
def _from_utm(epsg: int) -> Transformer:
    return Transformer.from_crs(CRS.from_epsg(epsg), CRS.from_epsg(4326), always_xy=True)


def to_utm(lon: float, lat: float) -> Utm:
    zone, hemisphere = utm_zone(lon, lat)
    epsg = (32600 if hemisphere == "N" else 32700) + zone
    easting, northing = _to_utm(epsg).transform(lon, lat)
    return Utm(zone, hemisphere, float(easting), float(northing), latitude_band(lat))


def latitude_band(lat: float) -> str:
    """C … X in 8° bands from 80°S; X spans 72°N to 84°N."""
    index = min(max(int((lat + 80.0) // 8.0), 0), len(BANDS) - 1)
    return BANDS[index]


def to_mgrs(lon: float, lat: float, digits: int = 5) -> str:
    """MGRS with ``digits`` per axis (5 = 1 m), spaced as printed on maps: ``30U WF 00000 94791``."""
    raw = mgrs.MGRS().toMGRS(lat, lon, MGRSPrecision=digits)
    if isinstance(raw, bytes):
        raw = raw.decode()
    grid = raw[: len(raw) - 2 * digits]
    zone, square = grid[:-2], grid[-2:]
    numbers = raw[len(grid) :]
    return f"{zone} {square} {numbers[:digits]} {numbers[digits:]}"


def dms(value: float, positive: str, negative: str) -> str:
    hemisphere = positive if value >= 0 else negative
    total = round(abs(value) * 3600.0, 1)
    degrees, rest = divmod(total, 3600.0)
    minutes, seconds = divmod(rest, 60.0)
    return f"{int(degrees)}°{int(minutes):02d}'{seconds:04.1f}\"{hemisphere}"


def lat_lon_dms(lon: float, lat: float) -> str:
    return f"{dms(lat, 'N', 'S')} {dms(lon, 'E', 'W')}"


def lat_lon_decimal(lon: float, lat: float) -> str:
    return f"{lat:.6f}, {lon:.6f}"


def geo_uri(lon: float, lat: float, uncertainty_m: float | None = None) -> str:
    """RFC 5870 ``geo:lat,lon;u=metres`` that phone map apps open."""
    uri = f"geo:{lat:.6f},{lon:.6f}"
    if uncertainty_m is not None and math.isfinite(uncertainty_m):
        uri += f";u={uncertainty_m:.0f}"
    return uri


def circle(lon: float, lat: float, radius_m: float, points: int = 48) -> list[tuple[float, float]]:
    """A geodesic circle as a closed lon/lat ring, counter-clockwise (RFC 7946 exterior ring order)."""
    azimuths = np.linspace(0.0, -360.0, points, endpoint=False)  # 0, -7.5, …: north, then west: CCW
    lons, lats, _ = WGS84.fwd(
        np.full(points, lon), np.full(points, lat), azimuths, np.full(points, float(radius_m))
    )
    ring = [(float(x), float(y)) for x, y in zip(lons, lats, strict=True)]
    return [*ring, ring[0]]


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    return float(WGS84.inv(lon1, lat1, lon2, lat2)[2])


@dataclass(frozen=True)
class UtmProjection:
    """lon/lat <-> metres in one UTM zone (chosen at a reference point) for areas and maps."""

    zone: int
    hemisphere: str

    @classmethod
    def around(cls, lon: float, lat: float) -> UtmProjection:
        return cls(*utm_zone(lon, lat))

    @property
    def epsg(self) -> int:
        return (32600 if self.hemisphere == "N" else 32700) + self.zone

    @property
    def name(self) -> str:
        return f"UTM zone {self.zone}{self.hemisphere} (EPSG:{self.epsg})"

    def forward(self, lons: np.ndarray, lats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x, y = _to_utm(self.epsg).transform(np.asarray(lons, float), np.asarray(lats, float))
        return np.asarray(x), np.asarray(y)

    def inverse(self, xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lon, lat = _from_utm(self.epsg).transform(np.asarray(xs, float), np.asarray(ys, float))
        return np.asarray(lon), np.asarray(lat)
