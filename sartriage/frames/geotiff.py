"""GeoTIFFs: orthomosaic georeferencing (affine + CRS, reprojected to WGS84) and DEM terrain."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from numpy.typing import ArrayLike
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.errors import RasterioIOError
from rasterio.warp import transform as warp_transform

from sartriage.errors import FrameError
from sartriage.frames import error_radius, geodesy
from sartriage.frames.georef import LonLat, as_arrays

WGS84 = CRS.from_epsg(4326)
# DEM patches are read into memory at most this many pixels on a side (resampled beyond that).
MAX_DEM_SIDE = 2048


def _to_wgs84(crs: CRS, xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if crs == WGS84:
        return xs, ys
    lon, lat = warp_transform(crs, WGS84, xs.ravel(), ys.ravel())
    return np.asarray(lon).reshape(xs.shape), np.asarray(lat).reshape(ys.shape)


def _from_wgs84(crs: CRS, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if crs == WGS84:
        return lon, lat
    xs, ys = warp_transform(WGS84, crs, lon.ravel(), lat.ravel())
    return np.asarray(xs).reshape(lon.shape), np.asarray(ys).reshape(lat.shape)


def apply_affine(transform: Affine, xs: ArrayLike, ys: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """``transform`` applied to arrays of points (spelled out: affine's operators change between versions)."""
    a, b, c, d, e, f = transform[:6]
    x, y = np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)
    return a * x + b * y + c, d * x + e * y + f


def pixel_size_m(transform: Affine, crs: CRS, width: int, height: int) -> tuple[float, float]:
    """Ground size of one pixel (x, y) in metres at the raster's centre."""
    if crs.is_geographic:
        _, lat = apply_affine(transform, width / 2, height / 2)
        m, n = geodesy.radii(float(lat))
        return (
            math.radians(math.hypot(transform.a, transform.d)) * n * math.cos(math.radians(float(lat))),
            math.radians(math.hypot(transform.b, transform.e)) * m,
        )
    unit = crs.linear_units_factor[1] if crs.is_projected else 1.0
    return math.hypot(transform.a, transform.d) * unit, math.hypot(transform.b, transform.e) * unit


@dataclass(frozen=True)
class RasterGeoref:
    """An orthomosaic's own georeferencing: pixel -> CRS by its affine transform -> WGS84."""

    transform: Affine
    crs: CRS
    width: int
    height: int
    kind: str = "raster"
    warnings: tuple[str, ...] = ()
    error_radius_m: float = field(init=False)

    def __post_init__(self) -> None:
        px, py = pixel_size_m(self.transform, self.crs, self.width, self.height)
        object.__setattr__(self, "error_radius_m", error_radius.ORTHO_ABSOLUTE_M + 0.5 * math.hypot(px, py))

    @property
    def gsd_m(self) -> float:
        px, py = pixel_size_m(self.transform, self.crs, self.width, self.height)
        return math.sqrt(px * py)

    def pixel_to_ground(self, xs: ArrayLike, ys: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        x, y = as_arrays(xs, ys)
        cx, cy = apply_affine(self.transform, x, y)
        lon, lat = _to_wgs84(self.crs, np.asarray(cx, dtype=np.float64), np.asarray(cy, dtype=np.float64))
        return lon, lat, np.full(x.shape, self.error_radius_m)

    def ground_to_pixel(self, lons: ArrayLike, lats: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        lon, lat = as_arrays(lons, lats)
        cx, cy = _from_wgs84(self.crs, lon, lat)
        x, y = apply_affine(~self.transform, cx, cy)
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        tol = 1e-6 * max(self.width, self.height)
        outside = (
            (x < -tol) | (y < -tol) | (x > self.width + tol) | (y > self.height + tol) | ~np.isfinite(x + y)
        )
        return np.where(outside, np.nan, x), np.where(outside, np.nan, y)

    def footprint(self) -> list[LonLat]:
        w, h = self.width, self.height
        xs = np.array([0, w / 2, w, w, w, w / 2, 0, 0], dtype=np.float64)
        ys = np.array([0, 0, 0, h / 2, h, h, h, h / 2], dtype=np.float64)
        lon, lat, _ = self.pixel_to_ground(xs, ys)
        return [(float(a), float(b)) for a, b in zip(lon, lat, strict=True)]


@dataclass(frozen=True)
class TerrainPatch:
    """Part of a DEM held in memory: elevations (NaN for no data) and their georeferencing; the DEM
    ``source`` read ``radius_m`` around (``lon``, ``lat``), so the same patch can be read again."""

    elevations: np.ndarray
    transform: Affine
    crs: CRS
    source: Path
    resolution_m: float
    lon: float
    lat: float
    radius_m: float

    @property
    def min_elevation(self) -> float:
        return float(np.nanmin(self.elevations))

    @property
    def max_elevation(self) -> float:
        return float(np.nanmax(self.elevations))

    def heights(self, lon: ArrayLike, lat: ArrayLike) -> np.ndarray:
        """Bilinear elevations at WGS84 points; NaN outside the patch or over no data."""
        lon_a, lat_a = as_arrays(lon, lat)
        xs, ys = _from_wgs84(self.crs, lon_a, lat_a)
        cols, rows = apply_affine(~self.transform, xs, ys)
        c = np.asarray(cols, dtype=np.float64) - 0.5
        r = np.asarray(rows, dtype=np.float64) - 0.5
        rows_n, cols_n = self.elevations.shape
        inside = (c >= 0) & (r >= 0) & (c <= cols_n - 1) & (r <= rows_n - 1)
        c0 = np.clip(np.floor(np.where(inside, c, 0)).astype(np.int64), 0, max(cols_n - 2, 0))
        r0 = np.clip(np.floor(np.where(inside, r, 0)).astype(np.int64), 0, max(rows_n - 2, 0))
        c1 = np.minimum(c0 + 1, cols_n - 1)
        r1 = np.minimum(r0 + 1, rows_n - 1)
        fc = np.clip(c - c0, 0.0, 1.0)
        fr = np.clip(r - r0, 0.0, 1.0)
        z = self.elevations
        top = z[r0, c0] * (1 - fc) + z[r0, c1] * fc
        bottom = z[r1, c0] * (1 - fc) + z[r1, c1] * fc
        return np.where(inside, top * (1 - fr) + bottom * fr, np.nan)

    def relief(self, lon: np.ndarray, lat: np.ndarray, radius_m: np.ndarray) -> np.ndarray:
        """Highest minus lowest elevation within ``radius_m`` of each point (sampled on two rings)."""
        lon_a, lat_a = as_arrays(lon, lat)
        radius = np.broadcast_to(np.asarray(radius_m, dtype=np.float64), lon_a.shape)
        angles = np.linspace(0.0, 2 * np.pi, 8, endpoint=False)
        east = np.concatenate([np.zeros(1), 0.5 * np.cos(angles), np.cos(angles)])
        north = np.concatenate([np.zeros(1), 0.5 * np.sin(angles), np.sin(angles)])
        m, n = geodesy.radii(float(np.nanmean(lat_a)) if np.isfinite(lat_a).any() else 0.0)
        ring_lat = lat_a[..., None] + np.degrees(radius[..., None] * north / m)
        ring_lon = lon_a[..., None] + np.degrees(
            radius[..., None] * east / (n * np.cos(np.radians(lat_a[..., None])))
        )
        z = self.heights(ring_lon, ring_lat)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nan_to_num(np.nanmax(z, axis=-1) - np.nanmin(z, axis=-1), nan=0.0)


def _open_dem(path: Path) -> rasterio.io.DatasetReader:
    try:
        dataset = rasterio.open(path)
    except RasterioIOError as exc:
        raise FrameError(f"{path}: the DEM cannot be opened ({exc}); give a GeoTIFF of elevations") from exc
    if dataset.crs is None or dataset.transform.is_identity:
        dataset.close()
        raise FrameError(f"{path}: the DEM has no georeferencing (CRS and transform); give a GeoTIFF DEM")
    return dataset


def check_dem(dem: str | PathLike[str]) -> None:
    """Raise :class:`FrameError` (one line naming the file) when ``dem`` is not a usable DEM GeoTIFF."""
    _open_dem(Path(dem)).close()


def load_terrain(dem: str | PathLike[str], lon: float, lat: float, radius_m: float) -> TerrainPatch | None:
    """The DEM around (lon, lat) out to ``radius_m``; None when the DEM does not cover that point.

    Raises :class:`FrameError` when the DEM cannot be used at all.
    """
    path = Path(dem)
    with _open_dem(path) as dataset:
        east = np.array([-radius_m, radius_m, radius_m, -radius_m, 0.0])
        north = np.array([-radius_m, -radius_m, radius_m, radius_m, 0.0])
        lons, lats = geodesy.enu_to_lonlat(lon, lat, east, north)
        xs, ys = _from_wgs84(dataset.crs, lons, lats)
        cols, rows = apply_affine(~dataset.transform, xs, ys)
        col0, row0 = max(0, math.floor(cols.min())), max(0, math.floor(rows.min()))
        col1, row1 = min(dataset.width, math.ceil(cols.max())), min(dataset.height, math.ceil(rows.max()))
        if col1 - col0 < 2 or row1 - row0 < 2:
            return None
        window = rasterio.windows.Window(col0, row0, col1 - col0, row1 - row0)
        scale = max(1.0, max(window.width, window.height) / MAX_DEM_SIDE)
        shape = (max(2, round(window.height / scale)), max(2, round(window.width / scale)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data = dataset.read(
                1, window=window, out_shape=shape, masked=True, resampling=Resampling.bilinear
            )
        elevations = np.ma.filled(data.astype(np.float64), np.nan)
        elevations[~np.isfinite(elevations)] = np.nan
        if np.all(np.isnan(elevations)):
            return None
        a, b, c, d, e, f = dataset.transform[:6]
        sx, sy = window.width / shape[1], window.height / shape[0]
        transform = Affine(a * sx, b * sy, c + a * col0 + b * row0, d * sx, e * sy, f + d * col0 + e * row0)
        px, py = pixel_size_m(transform, dataset.crs, shape[1], shape[0])
        return TerrainPatch(elevations, transform, dataset.crs, path, min(px, py), lon, lat, radius_m)
