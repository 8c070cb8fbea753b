"""A frame's georeferencing survives the JSON record the store keeps, with the image file gone."""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

from sartriage.errors import FrameError, MetadataWarning
from sartriage.frames import georef_from_record, georef_record, open_frame, stored_georef
from sartriage.frames.geodesy import lonlat_to_enu

P4RTK = "geotagged/orthority_p4rtk"
CASES = [
    ("geotagged/deepforest_dji/AWPE_Pigeon_Lake_2020_DJI_0005.JPG", None, "camera"),
    ("geotagged/deervision_dji_xt2/DJI_0002_R.JPG", None, "camera"),
    ("geotagged/odm_seneca/IMG_0446.jpg", None, "position_only"),
    ("geotagged/edge_cases/DJI_0218_mini3pro_gps_zero.JPG", None, "none"),
    ("geotagged/lacmus_ladd_335/335.jpg", None, "camera"),
    ("geotiff/webodm_fixture_orthophoto.tif", None, "raster"),
    ("geotiff/deepforest_neon/OSBS_029.tif", None, "raster"),
    (f"{P4RTK}/100_0005_0142.tif", None, "camera"),
    (f"{P4RTK}/100_0005_0142.tif", f"{P4RTK}/dsm.tif", "camera+dem"),
    (f"{P4RTK}/100_0005_0018.tif", f"{P4RTK}/dsm.tif", "camera+dem"),
]


def _grid(width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = np.meshgrid(np.linspace(0.5, width - 0.5, 9), np.linspace(0.5, height - 0.5, 7))
    return xs.ravel(), ys.ravel()


def _apart_m(a: tuple[np.ndarray, ...], b: tuple[np.ndarray, ...]) -> float:
    lon0, lat0 = float(np.nanmean(a[0])), float(np.nanmean(a[1]))
    east_a, north_a = lonlat_to_enu(lon0, lat0, a[0], a[1])
    east_b, north_b = lonlat_to_enu(lon0, lat0, b[0], b[1])
    return float(np.nanmax(np.hypot(east_a - east_b, north_a - north_b)))


@pytest.mark.parametrize(("image", "dem", "kind"), CASES)
def test_record_round_trips_without_the_file(
    shared_data: Path, tmp_path: Path, image: str, dem: str | None, kind: str
) -> None:
    dem_path = None
    if dem is not None:
        dem_path = tmp_path / "dsm.tif"
        shutil.copy(shared_data / dem, dem_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with open_frame(shared_data / image, dem=dem_path) as frame:
            original, width, height = frame.georef, frame.width, frame.height
    assert original.kind == kind
    record = json.loads(json.dumps(georef_record(original)))  # what the store's JSON column gives back
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # restoring a complete record says nothing
        restored = georef_from_record(record, Path(image).name)

    assert restored.kind == original.kind
    assert restored.warnings == original.warnings
    assert bool(restored) == bool(original)
    xs, ys = _grid(width, height)
    before, after = original.pixel_to_ground(xs, ys), restored.pixel_to_ground(xs, ys)
    np.testing.assert_array_equal(np.isfinite(before[0]), np.isfinite(after[0]))
    if np.isfinite(before[0]).any():
        assert _apart_m(before, after) < 0.001
    np.testing.assert_allclose(after[2], before[2], rtol=1e-9)
    np.testing.assert_allclose(np.array(restored.footprint()), np.array(original.footprint()), atol=1e-9)
    if original.footprint():
        lon, lat = np.array(original.footprint()[:3]).T
        np.testing.assert_allclose(restored.ground_to_pixel(lon, lat), original.ground_to_pixel(lon, lat))


def test_a_missing_dem_falls_back_to_flat_ground_and_says_so(shared_data: Path, tmp_path: Path) -> None:
    dem = tmp_path / "dsm.tif"
    shutil.copy(shared_data / P4RTK / "dsm.tif", dem)
    image = shared_data / P4RTK / "100_0005_0142.tif"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with open_frame(image, dem=dem) as frame:
            record, width, height = georef_record(frame.georef), frame.width, frame.height
    dem.unlink()

    with pytest.warns(MetadataWarning, match=r"dsm\.tif the scan used is not there"):
        restored = georef_from_record(record, image.name)

    assert restored.kind == "camera"
    assert any("is not there" in line for line in restored.warnings)
    xs, ys = _grid(width, height)
    lon, _, radius = restored.pixel_to_ground(xs, ys)
    assert np.isfinite(lon).all() and np.isfinite(radius).all()
    centre = restored.pixel_to_ground([width / 2], [height / 2])
    camera_lon, camera_lat = record["lon"], record["lat"]
    east, north = lonlat_to_enu(camera_lon, camera_lat, centre[0], centre[1])
    # flat ground at the DEM's height under the camera: the nadir-looking centre stays near the camera
    assert float(np.hypot(east, north)[0]) < record["height_m"]


def test_a_stored_record_is_used_before_the_file(shared_data: Path, tmp_path: Path) -> None:
    image = shared_data / "geotagged/deepforest_dji/AWPE_Pigeon_Lake_2020_DJI_0005.JPG"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with open_frame(image) as frame:
            record = georef_record(frame.georef)
    gone = tmp_path / "gone.JPG"
    assert stored_georef(gone, record).kind == "camera"
    with pytest.raises(FrameError, match=r"gone\.JPG: no such file"):
        stored_georef(gone, None)  # a store older than the record opens the file


@pytest.mark.parametrize("broken", [{}, {"version": 99, "kind": "camera"}, {"version": 1, "kind": "camera"}])
def test_a_broken_record_is_one_line_naming_the_frame(broken: dict) -> None:
    with pytest.raises(FrameError, match=r"^DJI_0001.JPG: its stored georeferencing cannot be read .*scan"):
        georef_from_record(broken, "DJI_0001.JPG")
