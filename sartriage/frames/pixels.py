"""Where a frame's pixels come from: a decoded photo, or a raster read window by window.

Both give HxWx3 uint8 RGB in displayed (EXIF-oriented) frame pixels.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np
import rasterio
from rasterio.enums import ColorInterp, Resampling
from rasterio.env import get_gdal_config, set_gdal_config
from rasterio.windows import Window as RioWindow

from sartriage.errors import FrameError
from sartriage.frames import orientation
from sartriage.frames.window import Window

# GDAL keeps decoded raster blocks in a process-wide cache sized 5 % of RAM by default: scanning a
# mosaic window by window would fill it with the whole raster. Bounded here unless the user set it.
GDAL_BLOCK_CACHE_MB = 256
_cache_bounded = False
_cache_lock = threading.Lock()


def bound_gdal_cache() -> None:
    """Cap GDAL's block cache at :data:`GDAL_BLOCK_CACHE_MB` (once; a user's GDAL_CACHEMAX wins)."""
    global _cache_bounded
    with _cache_lock:
        if _cache_bounded:
            return
        _cache_bounded = True
        if (
            os.environ.get("GDAL_CACHEMAX") is None
            and _megabytes(get_gdal_config("GDAL_CACHEMAX")) > GDAL_BLOCK_CACHE_MB
        ):
            set_gdal_config("GDAL_CACHEMAX", GDAL_BLOCK_CACHE_MB * 2**20)  # an int is taken as bytes


def _megabytes(value: object) -> float:
    """GDAL_CACHEMAX as megabytes: GDAL reads values under 100,000 as MB and larger ones as bytes."""
    try:
        number = float(str(value))
    except ValueError:
        return float("inf")  # a percentage of RAM, or unset
    return number / 2**20 if number >= 100_000 else number


# Pixel statistics for scaling 16-bit / float rasters are taken from an overview this size at most.
_STATS_SIDE = 1024
_STRETCH_PERCENTILES = (0.5, 99.5)


class PixelSource(Protocol):
    width: int
    height: int

    def read(self, window: Window, out_size: tuple[int, int] | None) -> np.ndarray: ...

    def close(self) -> None: ...


def _resize(pixels: np.ndarray, out_size: tuple[int, int]) -> np.ndarray:
    w, h = out_size
    if (pixels.shape[1], pixels.shape[0]) == (w, h):
        return pixels
    shrinking = w * h < pixels.shape[0] * pixels.shape[1]
    return cv2.resize(pixels, (w, h), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)


class PhotoPixels:
    """A JPEG/PNG photo decoded once by OpenCV on first read; windows are slices of it."""

    def __init__(self, path: Path, data: bytes, raw_width: int, raw_height: int, orient: int) -> None:
        self.path = path
        self._data: bytes | None = data
        self._orientation = orient
        self.width, self.height = orientation.displayed_size(raw_width, raw_height, orient)
        self._pixels: np.ndarray | None = None
        self._lock = threading.Lock()

    def _decoded(self) -> np.ndarray:
        with self._lock:
            if self._pixels is None:
                if self._data is None:
                    raise FrameError(
                        f"{self.path}: frame is closed; read pixels inside `with open_frame(...)`"
                    )
                buffer = np.frombuffer(self._data, dtype=np.uint8)
                bgr = cv2.imdecode(buffer, cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
                if bgr is None:
                    raise FrameError(f"{self.path}: OpenCV cannot decode the image data; the file is damaged")
                rgb = orientation.apply(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), self._orientation)
                if rgb.shape[:2] != (self.height, self.width):
                    raise FrameError(
                        f"{self.path}: decoded size {rgb.shape[1]}x{rgb.shape[0]} differs from the header's "
                        f"{self.width}x{self.height}; the file is damaged"
                    )
                self._pixels = np.ascontiguousarray(rgb)
                self._data = None
            return self._pixels

    def read(self, window: Window, out_size: tuple[int, int] | None) -> np.ndarray:
        pixels = self._decoded()[window.y : window.y + window.h, window.x : window.x + window.w]
        return _resize(pixels, out_size) if out_size else pixels.copy()

    def close(self) -> None:
        with self._lock:
            self._pixels = None
            self._data = None


def _rgb_band_indexes(colorinterp: tuple[ColorInterp, ...]) -> tuple[int, int, int]:
    """1-based bands to show as red, green, blue; alpha is never shown."""
    position = {ci: i + 1 for i, ci in enumerate(colorinterp)}
    if all(ci in position for ci in (ColorInterp.red, ColorInterp.green, ColorInterp.blue)):
        return position[ColorInterp.red], position[ColorInterp.green], position[ColorInterp.blue]
    colour = [i + 1 for i, ci in enumerate(colorinterp) if ci != ColorInterp.alpha] or [1]
    if len(colour) >= 3:
        return colour[0], colour[1], colour[2]
    return colour[0], colour[0], colour[0]


class RasterPixels:
    """A TIFF/GeoTIFF read by rasterio one window at a time; the whole raster is never held."""

    def __init__(self, dataset: rasterio.io.DatasetReader, orient: int) -> None:
        bound_gdal_cache()
        self._ds = dataset
        self._orientation = orient
        self._raw_size = (dataset.width, dataset.height)
        self.width, self.height = orientation.displayed_size(dataset.width, dataset.height, orient)
        bands = _rgb_band_indexes(tuple(dataset.colorinterp))
        self._unique = sorted(set(bands))
        self._pick = [self._unique.index(b) for b in bands]
        self._scale: tuple[np.ndarray, np.ndarray] | None = None
        self._needs_scaling = any(np.dtype(dataset.dtypes[b - 1]) != np.uint8 for b in self._unique)
        self._lock = threading.Lock()

    def _stretch(self) -> tuple[np.ndarray, np.ndarray]:
        """Per-band low/high values (from a small overview) mapped to 0/255, the same for every window."""
        if self._scale is None:
            w, h = self._raw_size
            factor = max(1.0, max(w, h) / _STATS_SIDE)
            shape = (max(1, round(h / factor)), max(1, round(w / factor)))
            sample = self._ds.read(self._unique, out_shape=(len(self._unique), *shape), masked=True)
            lows, highs = [], []
            for band in sample:
                values = band.compressed().astype(np.float64)
                values = values[np.isfinite(values)]
                lo, hi = np.percentile(values, _STRETCH_PERCENTILES) if values.size else (0.0, 1.0)
                lows.append(lo)
                highs.append(hi if hi > lo else lo + 1.0)
            self._scale = (np.array(lows), np.array(highs))
        return self._scale

    def _to_uint8(self, data: np.ndarray) -> np.ndarray:
        lows, highs = self._stretch()
        scaled = (data.astype(np.float32) - lows[:, None, None]) / (highs - lows)[:, None, None]
        return np.clip(np.nan_to_num(scaled * 255.0), 0, 255).astype(np.uint8)

    def read(self, window: Window, out_size: tuple[int, int] | None) -> np.ndarray:
        rw, rh = self._raw_size
        xs, ys = orientation.to_raw(
            np.array([window.x, window.x + window.w], dtype=np.float64),
            np.array([window.y, window.y + window.h], dtype=np.float64),
            self._orientation,
            rw,
            rh,
        )
        col0, row0 = int(xs.min()), int(ys.min())
        raw_window = RioWindow(col0, row0, int(xs.max()) - col0, int(ys.max()) - row0)
        out_shape = None
        shrinking = False
        if out_size is not None:
            ow, oh = out_size
            if orientation.swaps_axes(self._orientation):
                ow, oh = oh, ow
            out_shape = (len(self._unique), oh, ow)
            shrinking = ow * oh < raw_window.width * raw_window.height
        with self._lock:
            try:
                data = self._ds.read(
                    self._unique,
                    window=raw_window,
                    out_shape=out_shape,
                    resampling=Resampling.average if out_shape and shrinking else Resampling.bilinear,
                )
                if self._needs_scaling:
                    data = self._to_uint8(data)
            except rasterio.errors.RasterioIOError as exc:
                raise FrameError(
                    f"{self._ds.name}: cannot read the pixels of {window}: the file is damaged or truncated; "
                    "copy it again"
                ) from exc
        rgb = np.moveaxis(data[self._pick], 0, -1)
        return np.ascontiguousarray(orientation.apply(rgb, self._orientation))

    def close(self) -> None:
        with self._lock:
            self._ds.close()
