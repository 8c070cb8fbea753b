"""Single-photo camera model: pinhole (with DJI's lens distortion when given) and gimbal attitude,
projected onto flat ground or intersected with a DEM.

Frames: the camera looks along +z with x to the right of the image and y down it; the world is a
local east/north/up plane in metres centred under the camera (see :mod:`geodesy`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from sartriage.frames import geodesy, orientation
from sartriage.frames.error_radius import ErrorBudget
from sartriage.frames.georef import LonLat, as_arrays
from sartriage.frames.geotiff import TerrainPatch
from sartriage.frames.metadata import Attitude, FrameMeta

# Rays further than this from nadir are treated as never meeting the ground (and footprints are
# clipped there): beyond it a flat-ground position is meaningless.
MAX_OFF_NADIR_DEG = 80.0
MAX_RANGE_M = 5000.0
_MARCH_SAMPLES = 400
_UNDISTORT_ITERATIONS = 50
_BISECTIONS = 30
_FOOTPRINT_SAMPLES_PER_EDGE = 8


@dataclass(frozen=True)
class Intrinsics:
    """Pinhole intrinsics in stored (un-oriented) raster pixels, continuous coordinates."""

    fx: float
    fy: float
    cx: float
    cy: float
    width: int
    height: int
    source: str
    distortion: tuple[float, float, float, float, float] | None = None  # OpenCV k1, k2, p1, p2, k3
    centre_uncertainty_px: float = 0.0

    @property
    def half_diagonal_fov_deg(self) -> float:
        return math.degrees(math.atan(math.hypot(self.width / (2 * self.fx), self.height / (2 * self.fy))))

    def normalise(self, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Raster pixels -> undistorted normalised image coordinates (x/z, y/z)."""
        xd, yd = (u - self.cx) / self.fx, (v - self.cy) / self.fy
        if self.distortion is None:
            return xd, yd
        x, y = xd, yd
        for _ in range(_UNDISTORT_ITERATIONS):  # fixed-point inversion of :meth:`_distort`
            radial, dx, dy = self._distortion_terms(x, y)
            x, y = (xd - dx) / radial, (yd - dy) / radial
        return x, y

    def project(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Normalised image coordinates -> raster pixels."""
        if self.distortion is not None:
            radial, dx, dy = self._distortion_terms(x, y)
            x, y = x * radial + dx, y * radial + dy
        return x * self.fx + self.cx, y * self.fy + self.cy

    def _distortion_terms(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Brown-Conrady (OpenCV order k1, k2, p1, p2, k3): radial factor and tangential shifts."""
        assert self.distortion is not None
        k1, k2, p1, p2, k3 = self.distortion
        r2 = x * x + y * y
        radial = 1 + r2 * (k1 + r2 * (k2 + r2 * k3))
        return radial, 2 * p1 * x * y + p2 * (r2 + 2 * x * x), p1 * (r2 + 2 * y * y) + 2 * p2 * x * y


def intrinsics_from_meta(meta: FrameMeta) -> tuple[Intrinsics | None, list[str]]:
    """Intrinsics scaled to the stored raster (EXIF sizes may describe the original, larger image)."""
    warnings: list[str] = []
    raw_w, raw_h = meta.raster_width, meta.raster_height
    exif_w, exif_h = meta.exif_width or raw_w, meta.exif_height or raw_h
    if meta.calibrated_cx_px and meta.calibrated_cy_px:
        # DJI calibrates the full frame about its middle: a centre that is not the middle of the
        # EXIF size means the EXIF size was rewritten (by cropping software) and the calibration's is right.
        calibrated_w, calibrated_h = round(2 * meta.calibrated_cx_px), round(2 * meta.calibrated_cy_px)
        if abs(calibrated_w - exif_w) > 0.01 * exif_w or abs(calibrated_h - exif_h) > 0.01 * exif_h:
            exif_w, exif_h = calibrated_w, calibrated_h
    if raw_w > exif_w * 1.01 or raw_h > exif_h * 1.01:
        warnings.append(f"EXIF says {exif_w}x{exif_h} but the image is {raw_w}x{raw_h}; EXIF size ignored")
        exif_w, exif_h = raw_w, raw_h
    sx, sy = raw_w / exif_w, raw_h / exif_h
    cropped = abs(sx - sy) > 0.01 * max(sx, sy)
    scale, centre_uncertainty = (
        (1.0, math.hypot(exif_w - raw_w, exif_h - raw_h) / 2) if cropped else (sx, 0.0)
    )
    if cropped:
        warnings.append(
            f"image is cropped from {exif_w}x{exif_h}: its optical centre is unknown (taken as the middle) "
            "and its GPS position is that of the uncropped photo; error radius widened"
        )
    distortion = None
    if meta.dewarp is not None and not meta.dewarp_applied:
        fx, fy, cx_off, cy_off, k1, k2, p1, p2, k3 = meta.dewarp
        cx, cy = exif_w / 2 + cx_off, exif_h / 2 + cy_off
        distortion = (k1, k2, p1, p2, k3)
        source = "dji_dewarp"
    elif meta.calibrated_focal_px is not None:
        fx = fy = meta.calibrated_focal_px
        cx = meta.calibrated_cx_px if meta.calibrated_cx_px is not None else exif_w / 2
        cy = meta.calibrated_cy_px if meta.calibrated_cy_px is not None else exif_h / 2
        source = "dji_calibrated_focal"
    elif meta.focal_length_mm is not None and meta.sensor is not None:
        # square pixels: the width fixes both (published sensor heights are rounded, and some are 16:9 crops)
        fx = fy = meta.focal_length_mm / meta.sensor.width_mm * exif_w
        cx, cy = exif_w / 2, exif_h / 2
        source = meta.sensor.source
    else:
        warnings.append("focal length or sensor size unknown: pixels cannot be projected")
        return None, warnings
    if cropped:
        cx, cy = raw_w / 2 / scale, raw_h / 2 / scale
    return (
        Intrinsics(
            fx=fx * scale,
            fy=fy * scale,
            cx=cx * scale,
            cy=cy * scale,
            width=raw_w,
            height=raw_h,
            source=source,
            distortion=distortion,
            centre_uncertainty_px=centre_uncertainty,
        ),
        warnings,
    )


def rotation(attitude: Attitude) -> np.ndarray:
    """3x3 matrix taking camera-frame directions (x right, y down, z forward) to east/north/up."""
    yaw, pitch, roll = (math.radians(a) for a in (attitude.yaw_deg, attitude.pitch_deg, attitude.roll_deg))
    right = np.array([1.0, 0.0, 0.0])
    forward = np.array([0.0, math.cos(pitch), math.sin(pitch)])
    down = np.array([0.0, math.sin(pitch), -math.cos(pitch)])
    right, down = (
        math.cos(roll) * right + math.sin(roll) * down,
        -math.sin(roll) * right + math.cos(roll) * down,
    )
    heading = np.array(
        [[math.cos(yaw), math.sin(yaw), 0.0], [-math.sin(yaw), math.cos(yaw), 0.0], [0.0, 0.0, 1.0]]
    )
    return heading @ np.column_stack([right, down, forward])


@dataclass(frozen=True, eq=False)
class CameraGeoref:
    """A photo's pixels on the ground: flat ground ``height_m`` below the camera, or a DEM.

    With ``terrain``, ``camera_altitude_m`` is the camera's altitude in the DEM's vertical datum,
    ``budget`` holds the error terms on the DEM and ``flat_budget`` those of flat ground (used for
    rays that leave the DEM); without it both are the flat-ground terms.
    """

    intrinsics: Intrinsics
    lon: float
    lat: float
    height_m: float
    attitude: Attitude
    orientation: int
    budget: ErrorBudget
    flat_budget: ErrorBudget
    terrain: TerrainPatch | None = None
    camera_altitude_m: float | None = None
    warnings: tuple[str, ...] = ()
    _rotation: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_rotation", rotation(self.attitude))

    @property
    def kind(self) -> str:
        return "camera+dem" if self.terrain is not None else "camera"

    @property
    def display_size(self) -> tuple[int, int]:
        return orientation.displayed_size(self.intrinsics.width, self.intrinsics.height, self.orientation)

    def rays(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        """Unit east/north/up directions of displayed pixels, shape (..., 3)."""
        u, v = orientation.to_raw(xs, ys, self.orientation, self.intrinsics.width, self.intrinsics.height)
        nx, ny = self.intrinsics.normalise(u, v)
        cam = np.stack([nx, ny, np.ones_like(nx)], axis=-1)
        world = cam @ self._rotation.T
        return world / np.linalg.norm(world, axis=-1, keepdims=True)

    def _flat(self, rays: np.ndarray, height: float, clamp: bool) -> np.ndarray:
        """East/north where rays meet a plane ``height`` below the camera; NaN (or clipped) past the limit."""
        limit = math.sin(math.radians(MAX_OFF_NADIR_DEG))
        horizontal = np.hypot(rays[..., 0], rays[..., 1])
        too_far = (rays[..., 2] >= 0) | (horizontal > limit)
        if clamp:
            azimuth_scale = np.where(horizontal > 0, limit / np.maximum(horizontal, 1e-12), 0.0)
            clipped = np.stack(
                [
                    rays[..., 0] * azimuth_scale,
                    rays[..., 1] * azimuth_scale,
                    np.full(horizontal.shape, -math.cos(math.radians(MAX_OFF_NADIR_DEG))),
                ],
                axis=-1,
            )
            rays = np.where(too_far[..., None], clipped, rays)
            too_far = np.zeros_like(too_far)
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(too_far, np.nan, height / -rays[..., 2])
        return np.stack([t * rays[..., 0], t * rays[..., 1]], axis=-1)

    def _terrain(self, rays: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """East/north and ground elevation where rays first meet the DEM (NaN where they do not)."""
        terrain, camera_altitude = self.terrain, self.camera_altitude_m
        assert terrain is not None and camera_altitude is not None
        flat_rays = rays.reshape(-1, 3)
        top = camera_altitude - terrain.max_elevation
        bottom = camera_altitude - terrain.min_elevation
        down = -flat_rays[:, 2]
        usable = down > math.cos(math.radians(MAX_OFF_NADIR_DEG))
        safe_down = np.where(usable, down, 1.0)
        s_near = np.maximum(top, 0.0) / safe_down
        s_far = np.minimum(bottom / safe_down, MAX_RANGE_M)
        fractions = np.linspace(0.0, 1.0, _MARCH_SAMPLES)
        s = s_near[:, None] + (s_far - s_near)[:, None] * fractions[None, :]

        def clearance(s_values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            points = (
                s_values[..., None] * flat_rays[:, None, :]
                if s_values.ndim == 2
                else (s_values[:, None] * flat_rays)
            )
            lon, lat = geodesy.enu_to_lonlat(self.lon, self.lat, points[..., 0], points[..., 1])
            ground = terrain.heights(lon, lat)
            return camera_altitude + points[..., 2] - ground, ground

        above, _ = clearance(s)
        below = above <= 0
        hit = usable & below.any(axis=1)
        first = np.argmax(below, axis=1)
        rows = np.arange(len(flat_rays))
        lo = np.where(first > 0, s[rows, np.maximum(first - 1, 0)], s[rows, 0])
        hi = s[rows, first]
        for _ in range(_BISECTIONS):
            mid = (lo + hi) / 2
            gap, _ = clearance(mid)
            under = ~(gap > 0)  # NaN (no data) counts as under, keeping the bracket on known ground
            hi = np.where(under, mid, hi)
            lo = np.where(under, lo, mid)
        _, ground = clearance(hi)
        hit &= np.isfinite(ground)
        east = np.where(hit, hi * flat_rays[:, 0], np.nan)
        north = np.where(hit, hi * flat_rays[:, 1], np.nan)
        ground = np.where(hit, ground, np.nan)
        shape = rays.shape[:-1]
        return np.stack([east, north], axis=-1).reshape(*shape, 2), ground.reshape(shape)

    def _ground(self, xs: np.ndarray, ys: np.ndarray, clamp: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """East/north of displayed pixels, and the camera's height above the DEM where each one hits it
        (NaN where the flat ground under the camera was used instead)."""
        rays = self.rays(xs, ys)
        flat = self._flat(rays, self.height_m, clamp)
        if self.terrain is None:
            return flat, np.full(xs.shape, np.nan)
        en, ground = self._terrain(rays)
        missed = ~np.isfinite(en[..., 0])
        return np.where(missed[..., None], flat, en), self.camera_altitude_m - ground

    def pixel_to_ground(self, xs: ArrayLike, ys: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        x, y = as_arrays(xs, ys)
        en, dem_height = self._ground(x, y)
        lon, lat = geodesy.enu_to_lonlat(self.lon, self.lat, en[..., 0], en[..., 1])
        distance = np.hypot(en[..., 0], en[..., 1])
        radius = self.flat_budget.radius(self.height_m, distance)
        on_dem = np.isfinite(dem_height)
        if self.terrain is not None and on_dem.any():
            relief = self.terrain.relief(lon, lat, self.budget.radius(self.height_m, distance))
            dem_radius = self.budget.radius(np.where(on_dem, dem_height, self.height_m), distance, relief)
            radius = np.where(on_dem, dem_radius, radius)
        radius = np.where(np.isfinite(distance), radius, np.inf)
        return np.asarray(lon), np.asarray(lat), radius

    def ground_to_pixel(self, lons: ArrayLike, lats: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        lon, lat = as_arrays(lons, lats)
        east, north = geodesy.lonlat_to_enu(self.lon, self.lat, lon, lat)
        if self.terrain is None:
            up = np.full(east.shape, -self.height_m)
        else:
            up = self.terrain.heights(lon, lat) - self.camera_altitude_m
        cam = np.stack([east, north, up], axis=-1) @ self._rotation
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(cam[..., 2] > 1e-9, cam[..., 2], np.nan)
            u, v = self.intrinsics.project(cam[..., 0] / z, cam[..., 1] / z)
        x, y = orientation.from_raw(u, v, self.orientation, self.intrinsics.width, self.intrinsics.height)
        w, h = self.display_size
        outside = ~np.isfinite(x + y) | (x < 0) | (y < 0) | (x > w) | (y > h)
        return np.where(outside, np.nan, x), np.where(outside, np.nan, y)

    def footprint(self) -> list[LonLat]:
        """The frame's border on the ground, clipped at :data:`MAX_OFF_NADIR_DEG` from nadir."""
        w, h = self.display_size
        steps = np.linspace(0.0, 1.0, _FOOTPRINT_SAMPLES_PER_EDGE, endpoint=False)
        xs = np.concatenate([steps * w, np.full_like(steps, w), (1 - steps) * w, np.zeros_like(steps)])
        ys = np.concatenate([np.zeros_like(steps), steps * h, np.full_like(steps, h), (1 - steps) * h])
        en, _ = self._ground(xs, ys, clamp=True)
        lon, lat = geodesy.enu_to_lonlat(self.lon, self.lat, en[:, 0], en[:, 1])
        keep = np.isfinite(lon) & np.isfinite(lat)
        return [(float(a), float(b)) for a, b in zip(lon[keep], lat[keep], strict=True)]

    def gsd_at_centre(self) -> float | None:
        """Metres per pixel at the image centre (geometric mean of the two pixel directions)."""
        w, h = self.display_size
        xs = np.array([w / 2, w / 2 + 1, w / 2])
        ys = np.array([h / 2, h / 2, h / 2 + 1])
        en, _ = self._ground(xs, ys)
        if not np.all(np.isfinite(en)):
            return None
        across = float(np.hypot(*(en[1] - en[0])))
        along = float(np.hypot(*(en[2] - en[0])))
        return math.sqrt(across * along)


@dataclass(frozen=True)
class PositionOnlyGeoref:
    """Every pixel placed at the camera's GPS position with a wide radius: height or attitude is missing."""

    lon: float
    lat: float
    radius_m: float
    reason: str
    kind: str = "position_only"
    warnings: tuple[str, ...] = ()

    def pixel_to_ground(self, xs: ArrayLike, ys: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        x, _ = as_arrays(xs, ys)
        return np.full(x.shape, self.lon), np.full(x.shape, self.lat), np.full(x.shape, self.radius_m)

    def ground_to_pixel(self, lons: ArrayLike, lats: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        lon, _ = as_arrays(lons, lats)
        return np.full(lon.shape, np.nan), np.full(lon.shape, np.nan)

    def footprint(self) -> list[LonLat]:
        return []
