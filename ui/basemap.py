"""Optional map backgrounds the coordinator brings: an orthomosaic GeoTIFF or an MBTiles file.

Both are read on a worker thread into a few images, each with the lon/lat of
three of its corners (top-left, top-right, bottom-left); the map places each
image by the affine map through those corners. Nothing is fetched from a
network: the field has none.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PyQt6.QtGui import QImage

from sartriage.errors import FrameError
from sartriage.frames import open_frame
from ui.imagery import fitted_size, to_qimage

ORTHO_LONG_SIDE = 4096
MAX_TILES = 144


@dataclass(frozen=True)
class Piece:
    image: QImage
    corners: tuple[tuple[float, float], tuple[float, float], tuple[float, float]]  # lon, lat of TL, TR, BL


@dataclass(frozen=True)
class Basemap:
    source: Path
    pieces: tuple[Piece, ...]


def load(path: Path, bounds: tuple[float, float, float, float] | None) -> Basemap:
    """Read a background; ``bounds`` (west, south, east, north) limit what MBTiles reads."""
    if path.suffix.lower() == ".mbtiles":
        return read_mbtiles(path, bounds)
    return read_orthomosaic(path)


def read_orthomosaic(path: Path, longest: int = ORTHO_LONG_SIDE) -> Basemap:
    with open_frame(path) as frame:
        georef = frame.georef
        if not georef:
            reason = getattr(georef, "reason", "it carries no georeferencing")
            raise FrameError(f"{path}: cannot place it on the map ({reason}); choose a georeferenced GeoTIFF")
        rgb = frame.read(out_size=fitted_size(frame.width, frame.height, longest))
        lon, lat, _ = georef.pixel_to_ground(
            np.array([0.0, frame.width, 0.0]), np.array([0.0, 0.0, frame.height])
        )
    corners = tuple((float(a), float(b)) for a, b in zip(lon, lat, strict=True))
    return Basemap(path, (Piece(to_qimage(rgb), corners),))  # type: ignore[arg-type]


def _tile_lonlat(x: float, y: float, z: int) -> tuple[float, float]:
    """Web Mercator (XYZ) tile corner -> lon, lat."""
    n = 2.0**z
    lon = x / n * 360.0 - 180.0
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / n))))
    return lon, lat


def _tile_xy(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2.0**z
    lat = max(min(lat, 85.0511), -85.0511)
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return min(max(x, 0), int(n) - 1), min(max(y, 0), int(n) - 1)


def read_mbtiles(path: Path, bounds: tuple[float, float, float, float] | None) -> Basemap:
    """The most detailed zoom level whose tiles over ``bounds`` number at most MAX_TILES."""
    if not path.is_file():
        raise FrameError(f"{path}: no such MBTiles file; choose the .mbtiles file again")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise FrameError(f"{path}: cannot open it as MBTiles ({exc}); choose an .mbtiles file") from exc
    try:
        try:
            meta = dict(conn.execute("SELECT name, value FROM metadata").fetchall())
            zooms = [z for (z,) in conn.execute("SELECT DISTINCT zoom_level FROM tiles ORDER BY zoom_level")]
        except sqlite3.Error as exc:
            raise FrameError(f"{path}: not an MBTiles file ({exc}); choose an .mbtiles file") from exc
        if meta.get("format", "png") not in ("png", "jpg", "jpeg", "webp"):
            raise FrameError(f"{path}: holds {meta['format']} tiles (vector?); choose a raster MBTiles file")
        if not zooms:
            raise FrameError(f"{path}: the MBTiles file holds no tiles")
        if bounds is None and "bounds" in meta:
            bounds = tuple(float(v) for v in meta["bounds"].split(","))  # type: ignore[assignment]
        if bounds is None:
            bounds = (-180.0, -85.0, 180.0, 85.0)
        west, south, east, north = bounds
        chosen = zooms[0]
        for z in zooms:
            x0, y0 = _tile_xy(west, north, z)
            x1, y1 = _tile_xy(east, south, z)
            if (x1 - x0 + 1) * (y1 - y0 + 1) <= MAX_TILES:
                chosen = z
        x0, y0 = _tile_xy(west, north, chosen)
        x1, y1 = _tile_xy(east, south, chosen)
        n = 2**chosen
        pieces = []
        rows = conn.execute(
            "SELECT tile_column, tile_row, tile_data FROM tiles WHERE zoom_level = ? "
            "AND tile_column BETWEEN ? AND ? AND tile_row BETWEEN ? AND ?",
            (chosen, x0, x1, n - 1 - y1, n - 1 - y0),
        )
        for col, tms_row, data in rows:
            image = QImage.fromData(bytes(data))
            if image.isNull():
                continue
            y = n - 1 - tms_row  # MBTiles rows count from the south (TMS)
            corners = (
                _tile_lonlat(col, y, chosen),
                _tile_lonlat(col + 1, y, chosen),
                _tile_lonlat(col, y + 1, chosen),
            )
            pieces.append(Piece(image, corners))
    finally:
        conn.close()
    if not pieces:
        raise FrameError(f"{path}: no tiles cover the mission area; choose an MBTiles file of this area")
    return Basemap(path, tuple(pieces))
