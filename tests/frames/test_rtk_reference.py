"""Projection error against the Phantom 4 RTK photogrammetric reference.

The reference position of a pixel is where OpenDroneMap/OpenSfM's solved camera pose and
calibrated lens (``reconstruction.json``) put its ray on the DSM. sartriage's position comes from
the photo's own metadata (RTK GPS, gimbal angles, DJI dewarp data), on flat ground and on the DSM.

Print the figures with:  .venv/bin/pytest tests/frames/test_rtk_reference.py -s -q
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest
import rasterio
from rasterio.warp import transform as warp_transform

from sartriage.frames import open_frame

pytestmark = pytest.mark.filterwarnings("ignore::sartriage.errors.SartriageWarning")

UTM = "EPSG:32651"
POINTS = ("centre", "top-left", "top-right", "bottom-right", "bottom-left")


@dataclass(frozen=True)
class Comparison:
    image: str
    point: str
    flat_m: float
    flat_radius_m: float
    dsm_m: float
    dsm_radius_m: float


def _pixels(width: int, height: int) -> np.ndarray:
    return np.array(
        [[width / 2, height / 2], [0, 0], [width, 0], [width, height], [0, height]], dtype=np.float64
    )


def _undistort(pixels: np.ndarray, matrix: np.ndarray, coefficients: np.ndarray) -> np.ndarray:
    points = pixels.reshape(-1, 1, 2)
    criteria = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 200, 1e-12)
    if hasattr(cv2, "undistortPointsIter"):  # OpenCV 4
        return cv2.undistortPointsIter(points, matrix, coefficients, None, None, criteria).reshape(-1, 2)
    return cv2.undistortPoints(points, matrix, coefficients, criteria=criteria).reshape(-1, 2)


def _reference_ground(folder: Path, name: str) -> tuple[np.ndarray, np.ndarray]:
    """UTM 51N ground points of the five pixels from the photogrammetric pose, on the DSM (NaN off it)."""
    reconstruction = json.loads((folder / "reconstruction.json").read_text())[0]
    shot = reconstruction["shots"][name]
    camera = reconstruction["cameras"][shot["camera"]]
    reference = reconstruction["reference_lla"]
    # geocoords export: world = UTM minus the whole-metre UTM position of reference_lla
    ref_x, ref_y = warp_transform("EPSG:4326", UTM, [reference["longitude"]], [reference["latitude"]])
    offset = np.array([np.floor(ref_x[0]), np.floor(ref_y[0]), reference["altitude"]])
    rotation, _ = cv2.Rodrigues(np.array(shot["rotation"]))
    centre = -rotation.T @ np.array(shot["translation"]) + offset
    width, height = camera["width"], camera["height"]
    size = max(width, height)
    matrix = np.array(
        [
            [camera["focal_x"] * size, 0, width / 2 + camera["c_x"] * size],
            [0, camera["focal_y"] * size, height / 2 + camera["c_y"] * size],
            [0, 0, 1],
        ]
    )
    coefficients = np.array([camera[k] for k in ("k1", "k2", "p1", "p2", "k3")])
    normalised = _undistort(_pixels(width, height), matrix, coefficients)
    rays = (rotation.T @ np.column_stack([normalised, np.ones(len(normalised))]).T).T
    with rasterio.open(folder / "dsm.tif") as dsm:
        surface = dsm.read(1)
        inverse = ~dsm.transform
    steps = np.arange(0.0, 1500.0, 0.1)
    east, north = np.full(len(rays), np.nan), np.full(len(rays), np.nan)
    for i, ray in enumerate(rays):
        points = centre + steps[:, None] * ray
        cols = np.floor(inverse.a * points[:, 0] + inverse.b * points[:, 1] + inverse.c).astype(int)
        rows = np.floor(inverse.d * points[:, 0] + inverse.e * points[:, 1] + inverse.f).astype(int)
        inside = (rows >= 0) & (cols >= 0) & (rows < surface.shape[0]) & (cols < surface.shape[1])
        ground = np.full(len(points), np.nan)
        ground[inside] = surface[rows[inside], cols[inside]]
        under = points[:, 2] <= ground
        if under.any():
            hit = points[np.argmax(under)]
            east[i], north[i] = hit[0], hit[1]
    return east, north


def _ours(photo: Path, dem: Path | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    with open_frame(photo, dem=dem) as frame:
        pixels = _pixels(frame.width, frame.height)
        lon, lat, radius = frame.georef.pixel_to_ground(pixels[:, 0], pixels[:, 1])
    east, north = warp_transform("EPSG:4326", UTM, lon, lat)
    return np.array(east), np.array(north), radius


@pytest.fixture(scope="module")
def comparisons(shared_data: Path) -> list[Comparison]:
    folder = shared_data / "geotagged/orthority_p4rtk"
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for photo in sorted(folder.glob("100_0005_*.tif")):
            ref_e, ref_n = _reference_ground(folder, photo.stem)
            flat_e, flat_n, flat_r = _ours(photo, None)
            dsm_e, dsm_n, dsm_r = _ours(photo, folder / "dsm.tif")
            flat = np.hypot(flat_e - ref_e, flat_n - ref_n)
            dsm = np.hypot(dsm_e - ref_e, dsm_n - ref_n)
            for k, point in enumerate(POINTS):
                if np.isfinite(ref_e[k]):
                    rows.append(Comparison(photo.stem, point, flat[k], flat_r[k], dsm[k], dsm_r[k]))
    return rows


def _summary(rows: list[Comparison]) -> list[str]:
    lines = [f"{'image':<15}{'point':<14}{'flat m':>8}{'radius':>8}{'DSM m':>8}{'radius':>8}"]
    lines += [
        f"{r.image:<15}{r.point:<14}{r.flat_m:>8.1f}{r.flat_radius_m:>8.1f}{r.dsm_m:>8.1f}{r.dsm_radius_m:>8.1f}"
        for r in rows
    ]
    for label, group in (
        ("centres", [r for r in rows if r.point == "centre"]),
        ("corners", [r for r in rows if r.point != "centre"]),
    ):
        flat = np.array([r.flat_m for r in group])
        dsm = np.array([r.dsm_m for r in group])
        lines.append(
            f"{label} ({len(group)}): flat ground median {np.median(flat):.1f} m, max {flat.max():.1f} m; "
            f"with DSM median {np.median(dsm):.1f} m, max {dsm.max():.1f} m"
        )
    return lines


def test_projection_is_within_its_own_error_radius(comparisons: list[Comparison]) -> None:
    print("\nP4 RTK: distance from the photogrammetric reference (OpenSfM pose + lens, on the DSM)")
    print("\n".join(_summary(comparisons)))
    assert len([r for r in comparisons if r.point == "centre"]) == 4
    assert len(comparisons) >= 12  # some far corners fall off the DSM's extent and have no reference
    for row in comparisons:
        assert row.flat_m <= row.flat_radius_m, row
        assert row.dsm_m <= row.dsm_radius_m, row


def test_the_dsm_closes_most_of_the_gap(comparisons: list[Comparison]) -> None:
    centres = [r for r in comparisons if r.point == "centre"]
    assert 3.0 < np.median([r.flat_m for r in centres]) < 15.0  # flat ground: metres off at the centre
    assert np.median([r.dsm_m for r in centres]) < 0.5 * np.median([r.flat_m for r in centres])
    corners = [r for r in comparisons if r.point != "centre"]
    assert np.median([r.dsm_m for r in corners]) < 0.5 * np.median([r.flat_m for r in corners])
