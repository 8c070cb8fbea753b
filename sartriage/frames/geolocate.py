"""Choose a frame's georeferencing: raster transform, camera model, GPS-only fallback, or none."""

from __future__ import annotations

import math
from os import PathLike
from pathlib import Path

import numpy as np
import rasterio

from sartriage.frames import error_radius
from sartriage.frames.camera import (
    MAX_OFF_NADIR_DEG,
    MAX_RANGE_M,
    CameraGeoref,
    PositionOnlyGeoref,
    intrinsics_from_meta,
)
from sartriage.frames.error_radius import ErrorBudget
from sartriage.frames.georef import Georef, NotGeoreferenced
from sartriage.frames.geotiff import RasterGeoref, load_terrain
from sartriage.frames.metadata import FrameMeta

# Below this many metres above the ground a photo was taken standing (or landing): no projection.
MIN_HEIGHT_M = 1.0
# A camera pitched this close to the horizon sees too little ground to place pixels on.
MIN_DEPRESSION_DEG = 5.0

# A mosaic coarser than this per pixel cannot show a person: its transform is broken.
MAX_RASTER_GSD_M = 100.0

GeorefResult = tuple[Georef | NotGeoreferenced, float | None, tuple[str, ...]]


def _no_position_reason(meta: FrameMeta) -> str:
    for line in meta.warnings:
        if line.startswith("GPS position"):
            return line
    return "no GPS position in the EXIF or XMP metadata"


def _camera_altitude(
    meta: FrameMeta, ground_at_nadir: float, warnings: list[str]
) -> tuple[float, bool] | None:
    """The camera's altitude in the DEM's datum, and whether it is an absolute (RTK) one."""
    relative = meta.relative_altitude_m
    if meta.rtk_fixed and meta.absolute_altitude_m is not None:
        return meta.absolute_altitude_m, True
    if relative is not None and relative > MIN_HEIGHT_M:
        return ground_at_nadir + relative, False
    absolute = meta.absolute_altitude_m if meta.absolute_altitude_m is not None else meta.gps_altitude_m
    if absolute is not None:
        warnings.append("no height above take-off: the GPS altitude is taken in the DEM's datum (wide error)")
        return absolute, False
    return None


def _raster_georef(raster: rasterio.io.DatasetReader) -> RasterGeoref | NotGeoreferenced:
    """The raster's own georeferencing, or why it cannot put pixels on the ground (a CRS PROJ cannot
    turn into WGS84, a zero, NaN or absurd transform)."""
    try:
        georef = RasterGeoref(raster.transform, raster.crs, raster.width, raster.height)
        gsd = georef.gsd_m
        corners = np.array(georef.footprint(), dtype=np.float64)
    except Exception as exc:  # PROJ/GDAL (CPLE_*), affine and arithmetic errors alike
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return NotGeoreferenced(f"its CRS or transform cannot be turned into WGS84 positions ({detail})")
    if not (math.isfinite(gsd) and 0 < gsd <= MAX_RASTER_GSD_M):
        return NotGeoreferenced(f"its pixel size ({gsd:g} m) is not a real ground sample distance")
    lon, lat = corners[:, 0], corners[:, 1]
    if not (np.isfinite(corners).all() and (np.abs(lon) <= 180).all() and (np.abs(lat) <= 90).all()):
        return NotGeoreferenced("its transform puts the raster outside the Earth (longitude or latitude)")
    return georef


def georeference(
    path: Path,
    meta: FrameMeta,
    width: int,
    height: int,
    raster: rasterio.io.DatasetReader | None,
    dem: str | PathLike[str] | None,
) -> GeorefResult:
    """(georef, ground sample distance in metres at the centre, warnings)."""
    if raster is not None:
        extra: tuple[str, ...] = (
            () if dem is None else ("a DEM is not used for orthomosaics, which are already on the ground",)
        )
        checked = _raster_georef(raster)
        if isinstance(checked, NotGeoreferenced):
            return checked, None, extra
        return checked, checked.gsd_m, extra
    if not meta.has_position:
        return NotGeoreferenced(_no_position_reason(meta)), None, ()
    assert meta.lat is not None and meta.lon is not None

    warnings: list[str] = []
    intrinsics, intrinsic_warnings = intrinsics_from_meta(meta)
    warnings.extend(intrinsic_warnings)
    gps = error_radius.gps_error_m(meta)
    relative = meta.relative_altitude_m
    flat_height = relative if relative is not None and relative > MIN_HEIGHT_M else None
    if relative is not None and flat_height is None:
        warnings.append(
            f"RelativeAltitude is {relative:g} m: taken on the ground or below the take-off point, "
            "so the height above the ground is unknown"
        )
    elif relative is None:
        warnings.append("no RelativeAltitude (height above take-off) in the metadata")

    terrain = None
    camera_altitude = None
    absolute = False
    if dem is not None:
        reach = min(MAX_RANGE_M, (flat_height or 500.0) * math.tan(math.radians(MAX_OFF_NADIR_DEG)))
        terrain = load_terrain(dem, meta.lon, meta.lat, reach)
        if terrain is None:
            warnings.append(f"the DEM {Path(dem).name} does not cover this frame; flat ground used")
        else:
            ground = float(terrain.heights(np.array([meta.lon]), np.array([meta.lat]))[0])
            found = _camera_altitude(meta, ground, warnings) if math.isfinite(ground) else None
            if found is None or found[0] - ground <= MIN_HEIGHT_M:
                warnings.append(f"the camera is not above the DEM {Path(dem).name} here; flat ground used")
                terrain = None
            else:
                camera_altitude, absolute = found
                flat_height = camera_altitude - ground

    attitude = meta.attitude
    problem = None
    if attitude is None:
        problem = "no camera attitude (gimbal yaw and pitch) in the metadata"
    elif intrinsics is None:
        problem = "focal length or sensor size unknown"
    elif flat_height is None:
        problem = "no usable height above the ground"
    elif attitude.pitch_deg > -MIN_DEPRESSION_DEG:
        problem = f"camera pitch {attitude.pitch_deg:g}° looks at or above the horizon"
    if problem is not None:
        fov = intrinsics.half_diagonal_fov_deg if intrinsics is not None else None
        radius = error_radius.fallback_radius_m(gps, flat_height, fov)
        warnings.append(f"{problem}: every pixel is placed at the GPS position, ±{radius:.0f} m")
        gsd = None
        if intrinsics is not None and flat_height is not None:
            gsd = flat_height / math.sqrt(intrinsics.fx * intrinsics.fy)
        fallback = PositionOnlyGeoref(meta.lon, meta.lat, radius, problem, warnings=tuple(warnings))
        return fallback, gsd, tuple(warnings)

    assert intrinsics is not None and attitude is not None and flat_height is not None
    terms = {
        "gps_m": gps,
        "tilt_deg": error_radius.tilt_error_deg(intrinsics.centre_uncertainty_px, intrinsics.fx),
        "yaw_deg": error_radius.YAW_95_DEG,
        "focal_fraction": error_radius.FOCAL_FRACTION.get(intrinsics.source, 0.05),
    }
    flat_budget = ErrorBudget(height_m=error_radius.flat_height_error_m(flat_height), **terms)
    budget = flat_budget
    if terrain is not None:
        budget = ErrorBudget(height_m=error_radius.dem_height_error_m(meta, flat_height, absolute), **terms)
    georef = CameraGeoref(
        intrinsics=intrinsics,
        lon=meta.lon,
        lat=meta.lat,
        height_m=flat_height,
        attitude=attitude,
        orientation=meta.orientation,
        budget=budget,
        flat_budget=flat_budget,
        terrain=terrain,
        camera_altitude_m=camera_altitude,
        warnings=tuple(warnings),
    )
    gsd = georef.gsd_at_centre()
    if gsd is None:
        warnings.append("the image centre does not see the ground: no ground sample distance")
    return georef, gsd, tuple(warnings)
