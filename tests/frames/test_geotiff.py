from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from frame_builders import write_tiff
from rasterio.warp import transform as warp_transform

from sartriage.errors import FrameError
from sartriage.frames import open_frame
from sartriage.frames.geotiff import RasterGeoref, load_terrain

pytestmark = [
    pytest.mark.filterwarnings("ignore::sartriage.errors.SartriageWarning"),
    pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning"),
]

ORTHOS = [
    ("geotiff/deepforest_neon/OSBS_029.tif", 0.1, "EPSG:32617"),
    ("geotiff/webodm_fixture_orthophoto.tif", 0.5, "EPSG:32615"),
]


@pytest.mark.parametrize(("relative", "pixel_m", "crs"), ORTHOS)
def test_orthophoto_pixel_to_lonlat_to_pixel(
    shared_data: Path, relative: str, pixel_m: float, crs: str
) -> None:
    path = shared_data / relative
    with open_frame(path) as frame:
        georef = frame.georef
        assert isinstance(georef, RasterGeoref) and georef.crs.to_string() == crs
        rng = np.random.default_rng(3)
        xs = np.concatenate([[0.0, frame.width, frame.width / 2], rng.uniform(0, frame.width, 50)])
        ys = np.concatenate([[0.0, frame.height, frame.height / 2], rng.uniform(0, frame.height, 50)])
        lon, lat, radius = georef.pixel_to_ground(xs, ys)
        back_x, back_y = georef.ground_to_pixel(lon, lat)
        assert frame.gsd_m == pytest.approx(pixel_m, rel=1e-3)
    np.testing.assert_allclose(back_x, xs, atol=1e-6)
    np.testing.assert_allclose(back_y, ys, atol=1e-6)
    # the same corners as GDAL's own transform + PROJ
    with rasterio.open(path) as src:
        x0, y0 = src.transform.c, src.transform.f  # the top-left corner
        ref_lon, ref_lat = warp_transform(src.crs, "EPSG:4326", [x0], [y0])
    assert (lon[0], lat[0]) == pytest.approx((ref_lon[0], ref_lat[0]), abs=1e-9)
    assert np.all(radius == radius[0]) and 3.0 < radius[0] < 4.0


@pytest.mark.parametrize(("relative", "pixel_m", "crs"), ORTHOS)
def test_orthophoto_footprint_holds_its_centre(
    shared_data: Path, relative: str, pixel_m: float, crs: str
) -> None:
    from shapely.geometry import Point, Polygon

    with open_frame(shared_data / relative) as frame:
        footprint = Polygon(frame.georef.footprint())
        lon, lat, _ = frame.georef.pixel_to_ground([frame.width / 2], [frame.height / 2])
    assert footprint.is_valid and footprint.contains(Point(lon[0], lat[0]))


def test_points_outside_the_raster_have_no_pixel(shared_data: Path) -> None:
    with open_frame(shared_data / "geotiff/webodm_fixture_orthophoto.tif") as frame:
        x, y = frame.georef.ground_to_pixel([-91.9938, 10.0], [46.8426, 10.0])
    assert np.isfinite(x[0]) and np.isnan(x[1]) and np.isnan(y[1])


def test_geographic_crs_orthophoto(tmp_path: Path) -> None:
    step = 1e-6  # about 11 cm north-south
    transform = Affine(step, 0, 8.5, 0, -step, 47.4)
    path = write_tiff(
        tmp_path / "wgs84.tif", np.full((3, 200, 300), 120, np.uint8), crs="EPSG:4326", transform=transform
    )
    with open_frame(path) as frame:
        lon, lat, _ = frame.georef.pixel_to_ground([0, 300], [0, 200])
        assert (lon[0], lat[0], lon[1], lat[1]) == pytest.approx(
            (8.5, 47.4, 8.5 + 300 * step, 47.4 - 200 * step)
        )
        assert frame.gsd_m == pytest.approx(math.sqrt(0.111 * 0.111 * math.cos(math.radians(47.4))), rel=0.02)
        x, y = frame.georef.ground_to_pixel(lon, lat)
    np.testing.assert_allclose([x, y], [[0, 300], [0, 200]], atol=1e-6)


def test_terrain_heights_match_the_dsm(shared_data: Path) -> None:
    dsm = shared_data / "geotagged/orthority_p4rtk/dsm.tif"
    patch = load_terrain(dsm, 120.9513529, 24.6798694, 150.0)
    assert patch is not None
    with rasterio.open(dsm) as src:
        rows, cols = np.array([100, 200, 300]), np.array([150, 250, 350])
        xs, ys = rasterio.transform.xy(src.transform, rows, cols)
        expected = src.read(1)[rows, cols]
        lon, lat = warp_transform(src.crs, "EPSG:4326", xs, ys)
    # at pixel centres bilinear sampling returns the stored value
    np.testing.assert_allclose(patch.heights(np.array(lon), np.array(lat)), expected, atol=0.05)
    assert 55 < patch.min_elevation < patch.max_elevation < 115
    assert np.isnan(patch.heights(np.array([0.0]), np.array([0.0])))[0]


def test_dem_problems(shared_data: Path, tmp_path: Path) -> None:
    dsm = shared_data / "geotagged/orthority_p4rtk/dsm.tif"
    assert load_terrain(dsm, 10.0, 50.0, 100.0) is None  # elsewhere on Earth
    plain = write_tiff(tmp_path / "plain_dem.tif", np.zeros((1, 10, 10), np.float32))
    with pytest.raises(FrameError, match="no georeferencing"):
        load_terrain(plain, 0.0, 0.0, 10.0)
    text = tmp_path / "dem.tif"
    text.write_text("not a raster")
    with pytest.raises(FrameError, match="cannot be opened"):
        load_terrain(text, 0.0, 0.0, 10.0)


def test_dem_elsewhere_falls_back_to_flat_ground(shared_data: Path) -> None:
    with open_frame(
        shared_data / "geotagged/lacmus_ladd_335/335.jpg",
        dem=shared_data / "geotagged/orthority_p4rtk/dsm.tif",
    ) as frame:
        assert frame.georef.kind == "camera"
        assert any("does not cover" in line for line in frame.warnings)


def test_flat_dem_gives_the_flat_ground_answer(shared_data: Path, tmp_path: Path) -> None:
    """A level DEM at the take-off height must put pixels where the flat-ground model does."""
    photo = shared_data / "geotagged/orthority_p4rtk/100_0005_0142.tif"
    with open_frame(photo) as frame:
        take_off = frame.meta.absolute_altitude_m - frame.meta.relative_altitude_m
        xs, ys = [0.0, 684.0, 1368.0, 300.0], [912.0, 456.0, 912.0, 200.0]
        flat = frame.georef.pixel_to_ground(xs, ys)
    with rasterio.open(shared_data / "geotagged/orthority_p4rtk/dsm.tif") as src:
        level = write_tiff(
            tmp_path / "level.tif",
            np.full((1, 2000, 2000), take_off, np.float32),
            crs=src.crs,
            transform=Affine(0.8, 0, src.bounds.left - 400, 0, -0.8, src.bounds.top + 400),
        )
    with open_frame(photo, dem=level) as frame:
        assert frame.georef.kind == "camera+dem"
        on_dem = frame.georef.pixel_to_ground(xs, ys)
    np.testing.assert_allclose(on_dem[0], flat[0], atol=2e-6)  # within ~20 cm
    np.testing.assert_allclose(on_dem[1], flat[1], atol=2e-6)
    assert np.all(on_dem[2] < flat[2])  # the terrain allowance is gone
