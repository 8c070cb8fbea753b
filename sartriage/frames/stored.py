"""A frame's georeferencing as a plain JSON record, and back, without the image file.

The scan stores the record with the frame, so every later position (volunteer hits, the
coordinator's marks, coverage) comes from the same camera model, pose, raster transform, error
budget and DEM the scan used, after the photo folder has gone. A DEM is recorded by its path and
the patch read from it; when that file is no longer there, the camera's height above the DEM
under it becomes flat ground (the flat-ground error terms apply) and a warning says so.
"""

from __future__ import annotations

import warnings
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
from affine import Affine
from rasterio.crs import CRS

from sartriage.errors import FrameError, MetadataWarning
from sartriage.frames.camera import CameraGeoref, Intrinsics, PositionOnlyGeoref
from sartriage.frames.error_radius import ErrorBudget
from sartriage.frames.frame import open_frame
from sartriage.frames.georef import Georef, NotGeoreferenced
from sartriage.frames.geotiff import RasterGeoref, TerrainPatch, load_terrain
from sartriage.frames.metadata import Attitude

RECORD_VERSION = 1

Record = dict[str, Any]


def georef_record(georef: Georef | NotGeoreferenced) -> Record:
    """The JSON-safe record of ``georef`` (plain numbers, strings, lists, None)."""
    common: Record = {"version": RECORD_VERSION, "kind": georef.kind, "warnings": list(georef.warnings)}
    if isinstance(georef, NotGeoreferenced):
        return {**common, "reason": georef.reason}
    if isinstance(georef, PositionOnlyGeoref):
        return {
            **common,
            "lon": georef.lon,
            "lat": georef.lat,
            "radius_m": georef.radius_m,
            "reason": georef.reason,
        }
    if isinstance(georef, RasterGeoref):
        return {
            **common,
            "transform": list(georef.transform[:6]),
            "crs": georef.crs.to_wkt(),
            "width": georef.width,
            "height": georef.height,
        }
    if isinstance(georef, CameraGeoref):
        intrinsics, attitude, terrain = georef.intrinsics, georef.attitude, georef.terrain
        return {
            **common,
            "intrinsics": {
                "fx": intrinsics.fx,
                "fy": intrinsics.fy,
                "cx": intrinsics.cx,
                "cy": intrinsics.cy,
                "width": intrinsics.width,
                "height": intrinsics.height,
                "source": intrinsics.source,
                "distortion": list(intrinsics.distortion) if intrinsics.distortion is not None else None,
                "centre_uncertainty_px": intrinsics.centre_uncertainty_px,
            },
            "lon": georef.lon,
            "lat": georef.lat,
            "height_m": georef.height_m,
            "attitude": {
                "yaw_deg": attitude.yaw_deg,
                "pitch_deg": attitude.pitch_deg,
                "roll_deg": attitude.roll_deg,
                "source": attitude.source,
            },
            "orientation": georef.orientation,
            "budget": georef.budget.to_dict(),
            "flat_budget": georef.flat_budget.to_dict(),
            "camera_altitude_m": georef.camera_altitude_m,
            "dem": None
            if terrain is None
            else {
                "path": str(terrain.source.resolve()),
                "lon": terrain.lon,
                "lat": terrain.lat,
                "radius_m": terrain.radius_m,
            },
        }
    raise TypeError(f"no record for a {type(georef).__name__} georeferencing")


def georef_from_record(record: Record, name: str = "frame") -> Georef | NotGeoreferenced:
    """The georeferencing ``record`` describes; ``name`` (the frame's file name) goes in messages.

    Raises :class:`FrameError` when the record is not one :func:`georef_record` wrote.
    """
    try:
        return _restore(record, name)
    except (KeyError, TypeError, ValueError) as exc:
        raise FrameError(
            f"{name}: its stored georeferencing cannot be read ({type(exc).__name__}: {exc}); "
            "scan the frame again into a new mission"
        ) from exc


def _restore(record: Record, name: str) -> Georef | NotGeoreferenced:
    if record["version"] != RECORD_VERSION:
        raise ValueError(f"record version {record['version']}, this sartriage reads {RECORD_VERSION}")
    kind, notes = record["kind"], tuple(record["warnings"])
    if kind == "none":
        return NotGeoreferenced(record["reason"], warnings=notes)
    if kind == "position_only":
        return PositionOnlyGeoref(
            record["lon"], record["lat"], record["radius_m"], record["reason"], warnings=notes
        )
    if kind == "raster":
        transform = Affine(*record["transform"])
        return RasterGeoref(
            transform, CRS.from_wkt(record["crs"]), record["width"], record["height"], warnings=notes
        )
    if kind not in ("camera", "camera+dem"):
        raise ValueError(f"unknown kind {kind!r}")
    lens = dict(record["intrinsics"])
    if lens["distortion"] is not None:
        lens["distortion"] = tuple(lens["distortion"])
    budget = ErrorBudget(**record["budget"])
    flat_budget = ErrorBudget(**record["flat_budget"])
    height_m, camera_altitude = record["height_m"], record["camera_altitude_m"]
    terrain = _terrain(record["dem"], name) if record["dem"] is not None else None
    if record["dem"] is not None and terrain is None:
        notes = (*notes, f"the DEM {record['dem']['path']} is not there: flat ground {height_m:.1f} m below")
        budget, camera_altitude = flat_budget, None
    return CameraGeoref(
        intrinsics=Intrinsics(**lens),
        lon=record["lon"],
        lat=record["lat"],
        height_m=height_m,
        attitude=Attitude(**record["attitude"]),
        orientation=record["orientation"],
        budget=budget,
        flat_budget=flat_budget,
        terrain=terrain,
        camera_altitude_m=camera_altitude,
        warnings=notes,
    )


def _terrain(dem: Record, name: str) -> TerrainPatch | None:
    path = Path(dem["path"])
    patch = load_terrain(path, dem["lon"], dem["lat"], dem["radius_m"]) if path.is_file() else None
    if patch is None:
        warnings.warn(
            f"{name}: the DEM {path} the scan used is not there (or no longer covers the frame): positions "
            "are on flat ground under the camera, with a wider error; put the DEM back at that path",
            MetadataWarning,
            stacklevel=4,
        )
    return patch


def stored_georef(path: str | PathLike[str], record: Record | None) -> Georef | NotGeoreferenced:
    """A scanned frame's georeferencing: from its stored record, or (stores older than the record,
    schema 3) from the file at ``path``. Raises :class:`FrameError` when neither can be read."""
    if record is not None:
        return georef_from_record(record, Path(path).name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the scan gave this file's metadata warnings already
        with open_frame(path) as frame:
            return frame.georef


def ground_of_pixels(
    path: str | PathLike[str], xs: np.ndarray, ys: np.ndarray, record: Record | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """lon, lat and error radius (m) of pixels of a scanned frame (NaN lon/lat where it cannot place
    them), from its stored record (see :func:`stored_georef`)."""
    return stored_georef(path, record).pixel_to_ground(xs, ys)
