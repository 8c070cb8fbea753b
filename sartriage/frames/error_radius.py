"""How far a projected ground point may be from the truth: the error radius model.

Every radius is meant as a ~95 % bound in metres, built from independent terms added in
quadrature (root-sum-square). For a ground point at horizontal distance ``d`` from the point
below the camera, a camera ``h`` metres above that ground and slant range ``s = sqrt(h² + d²)``:

``gps``
    Horizontal error of the camera position. Consumer GNSS: 5 m; DJI RTK with a fixed solution:
    twice the larger of RtkStdLon/RtkStdLat plus 5 cm; EXIF GPSHPositioningError when written: twice it.
``tilt``
    A pitch/roll error ``δt`` (radians) tilts the ray; on the ground that moves the point by
    ``δt · s² / h`` (``h·δt/cos²θ`` at off-nadir angle θ). Stabilised gimbals: 2°. An unknown
    optical centre (cropped photos) adds ``offset_px / focal_px`` to ``δt``.
``yaw``
    A heading error ``δy`` swings the point around nadir by ``δy · d``. Magnetometer headings: 5°.
``height``
    An error ``δh`` in the camera's height above the ground hit scales the horizontal offset:
    ``δh · d / h``. Without a DEM the ground is taken as level with the take-off point, so
    ``δh`` holds the barometric error (3 m) plus a terrain allowance of 30 % of the height (the
    P4 RTK survey's river valley lies 27 m under its take-off point at 100 m). With a DEM, ``δh``
    is the camera altitude error (RTK: twice RtkStdHgt; otherwise 2 m plus 15 % of the height,
    as take-off and nadir ground may differ) plus 3 m of DEM error plus the DEM's local relief
    (highest minus lowest elevation within the point's own radius): on steep ground or among
    trees a small angle error moves the hit onto a different surface. Rays that leave the DEM
    fall back to flat ground at the elevation under the camera, with the flat-ground terms.
``focal``
    A relative focal-length error ``ε`` moves the point by ``ε · d``: 0.5 % for DJI's per-unit
    calibration, 2 % for sensor sizes from EXIF or the camera table, 5 % from a 35 mm equivalent.

Without a usable height or attitude the frame falls back to its GPS position for every pixel:
the radius is then the GPS error plus how far the camera could see — ``h · tan(half diagonal
field of view + 30°)`` with a known height, :data:`FALLBACK_RADIUS_M` without one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sartriage.frames.metadata import FrameMeta

GPS_95_M = 5.0
RTK_FLOOR_M = 0.05
TILT_95_DEG = 2.0
YAW_95_DEG = 5.0
BARO_95_M = 3.0
FLAT_TERRAIN_FRACTION = 0.30
DEM_95_M = 3.0
DEM_CAMERA_ALTITUDE_M = 2.0
DEM_TAKEOFF_FRACTION = 0.15
FOCAL_FRACTION = {
    "dji_dewarp": 0.005,
    "dji_calibrated_focal": 0.005,
    "focal_plane_resolution": 0.02,
    "camera_table": 0.02,
    "35mm_equivalent": 0.05,
}
FALLBACK_RADIUS_M = 300.0
FALLBACK_TILT_DEG = 30.0
# Orthomosaics without ground control: absolute accuracy of the camera GPS they were built from.
ORTHO_ABSOLUTE_M = 3.0


@dataclass(frozen=True, slots=True)
class ErrorBudget:
    """The ~95 % error terms of one frame (see the module docstring)."""

    gps_m: float
    height_m: float
    tilt_deg: float
    yaw_deg: float
    focal_fraction: float

    def radius(
        self, height_m: float | np.ndarray, ground_distance_m: np.ndarray, relief_m: float | np.ndarray = 0.0
    ) -> np.ndarray:
        """Error radius in metres of ground points ``ground_distance_m`` from nadir, seen from ``height_m``;
        ``relief_m`` is the DEM's local relief around each point, added to the height error."""
        d = np.asarray(ground_distance_m, dtype=np.float64)
        h = np.maximum(np.asarray(height_m, dtype=np.float64), 1e-3)
        slant_sq = h * h + d * d
        tilt = math.radians(self.tilt_deg) * slant_sq / h
        yaw = math.radians(self.yaw_deg) * d
        height = (self.height_m + np.asarray(relief_m, dtype=np.float64)) * d / h
        focal = self.focal_fraction * d
        return np.asarray(np.sqrt(self.gps_m**2 + tilt**2 + yaw**2 + height**2 + focal**2))

    def to_dict(self) -> dict[str, float]:
        return {
            "gps_m": self.gps_m,
            "height_m": self.height_m,
            "tilt_deg": self.tilt_deg,
            "yaw_deg": self.yaw_deg,
            "focal_fraction": self.focal_fraction,
        }


def gps_error_m(meta: FrameMeta) -> float:
    if meta.rtk_fixed and meta.rtk_std_lon_m is not None and meta.rtk_std_lat_m is not None:
        return 2.0 * max(meta.rtk_std_lon_m, meta.rtk_std_lat_m) + RTK_FLOOR_M
    if meta.gps_error_m is not None:
        return 2.0 * meta.gps_error_m
    return GPS_95_M


def flat_height_error_m(height_m: float) -> float:
    return BARO_95_M + FLAT_TERRAIN_FRACTION * abs(height_m)


def dem_height_error_m(meta: FrameMeta, height_m: float, absolute: bool) -> float:
    """Height error when intersecting a DEM; ``absolute`` when the camera altitude came from RTK."""
    if absolute and meta.rtk_std_hgt_m is not None:
        camera = 2.0 * meta.rtk_std_hgt_m + RTK_FLOOR_M
    else:
        camera = DEM_CAMERA_ALTITUDE_M + DEM_TAKEOFF_FRACTION * abs(height_m)
    return camera + DEM_95_M


def tilt_error_deg(centre_offset_px: float, focal_px: float) -> float:
    return TILT_95_DEG + math.degrees(centre_offset_px / focal_px)


def fallback_radius_m(gps_m: float, height_m: float | None, half_diagonal_fov_deg: float | None) -> float:
    """Radius around the GPS position that holds every pixel when only the position is usable."""
    if height_m is None or height_m <= 1.0:
        return gps_m + FALLBACK_RADIUS_M
    reach = 2.0 * height_m
    if half_diagonal_fov_deg is not None:
        reach = height_m * math.tan(math.radians(min(half_diagonal_fov_deg + FALLBACK_TILT_DEG, 80.0)))
    return gps_m + reach
