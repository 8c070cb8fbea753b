"""The georeferencing a frame carries: the common interface, and the state of having none."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike

LonLat = tuple[float, float]


@runtime_checkable
class Georef(Protocol):
    """Pixel -> WGS84 ground position for one frame.

    Pixel coordinates are continuous displayed-frame pixels: (0, 0) is the top-left corner of the
    frame, the centre of pixel (col, row) is (col + 0.5, row + 0.5).
    """

    @property
    def kind(self) -> str:
        """``raster``, ``camera``, ``camera+dem`` or ``position_only``."""
        ...

    @property
    def warnings(self) -> tuple[str, ...]: ...

    def pixel_to_ground(self, xs: ArrayLike, ys: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(lon, lat, error_radius_m) arrays; NaN lon/lat and inf radius where a pixel has no ground."""
        ...

    def ground_to_pixel(self, lons: ArrayLike, lats: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """Continuous frame pixel (x, y) arrays; NaN where the ground point is not seen."""
        ...

    def footprint(self) -> list[LonLat]:
        """The frame's outline on the ground as (lon, lat) vertices; empty when unknown."""
        ...


def as_arrays(xs: ArrayLike, ys: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.broadcast_arrays(np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64))
    return x, y


@dataclass(frozen=True)
class NotGeoreferenced:
    """A frame whose pixels cannot be put on the ground, and why. It is falsy."""

    reason: str
    kind: str = "none"
    warnings: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return False

    def pixel_to_ground(self, xs: ArrayLike, ys: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        x, _ = as_arrays(xs, ys)
        nan = np.full(x.shape, np.nan)
        return nan, nan.copy(), np.full(x.shape, np.inf)

    def ground_to_pixel(self, lons: ArrayLike, lats: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        lon, _ = as_arrays(lons, lats)
        return np.full(lon.shape, np.nan), np.full(lon.shape, np.nan)

    def footprint(self) -> list[LonLat]:
        return []
