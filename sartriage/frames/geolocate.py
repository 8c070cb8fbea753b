"""Choose a frame's georeferencing: raster transform, camera model, GPS-only fallback, or none."""

from __future__ import annotations

from os import PathLike
from pathlib import Path

import rasterio

from sartriage.frames.georef import Georef, NotGeoreferenced
from sartriage.frames.metadata import FrameMeta


def georeference(
    path: Path,
    meta: FrameMeta,
    width: int,
    height: int,
    raster: rasterio.io.DatasetReader | None,
    dem: str | PathLike[str] | None,
) -> tuple[Georef | NotGeoreferenced, float | None, tuple[str, ...]]:
    """(georef, ground sample distance in metres at the centre, warnings)."""
    return NotGeoreferenced("not implemented yet"), None, ()
