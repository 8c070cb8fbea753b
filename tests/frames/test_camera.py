from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest
from shapely.geometry import Polygon

from sartriage.frames import open_frame
from sartriage.frames.camera import CameraGeoref, Intrinsics, PositionOnlyGeoref, rotation
from sartriage.frames.error_radius import ErrorBudget
from sartriage.frames.geodesy import distance_m, lonlat_to_enu
from sartriage.frames.metadata import Attitude

pytestmark = pytest.mark.filterwarnings("ignore::sartriage.errors.SartriageWarning")

XT2 = "geotagged/deervision_dji_xt2"
XT2_PITCH_MM = 0.017  # 640 x 512 microbolometer, 17 um pixels
XT2_FOCAL_MM = 13.0


def _xt2_line(shared: Path) -> list[Path]:
    """The survey leg flown at yaw -38.7 (the last frame turns onto the next leg)."""
    return sorted((shared / XT2).glob("DJI_00*_R.JPG"))[:-1]


def test_xt2_gsd_matches_focal_length_and_pixel_pitch(shared_data: Path) -> None:
    for path in _xt2_line(shared_data):
        with open_frame(path) as frame:
            assert frame.georef.kind == "camera"
            expected = frame.meta.relative_altitude_m * XT2_PITCH_MM / XT2_FOCAL_MM
            assert frame.gsd_m == pytest.approx(expected, rel=0.005)


def _enu_polygon(footprint: list[tuple[float, float]], lon0: float, lat0: float) -> Polygon:
    lon, lat = np.array(footprint).T
    east, north = lonlat_to_enu(lon0, lat0, lon, lat)
    return Polygon(zip(east, north, strict=True))


def test_xt2_consecutive_footprints_overlap_like_a_survey_grid(shared_data: Path) -> None:
    frames = []
    for path in _xt2_line(shared_data):
        with open_frame(path) as frame:
            frames.append(
                (frame.meta.lon, frame.meta.lat, frame.georef.footprint(), frame.gsd_m, frame.height)
            )
    lon0, lat0 = frames[0][0], frames[0][1]
    for (lon_a, lat_a, foot_a, gsd, height), (lon_b, lat_b, foot_b, _, _) in itertools.pairwise(frames):
        a, b = _enu_polygon(foot_a, lon0, lat0), _enu_polygon(foot_b, lon0, lat0)
        assert a.is_valid and b.is_valid
        assert a.area == pytest.approx(640 * 512 * gsd**2, rel=0.02)  # a nadir rectangle
        overlap = a.intersection(b).area / a.area
        spacing = float(distance_m(lon_a, lat_a, lon_b, lat_b))
        along_track = height * gsd  # the drone flies towards the top of the image
        assert overlap > 0.3
        assert overlap == pytest.approx(1 - spacing / along_track, abs=0.06)


def test_xt2_next_frame_lies_ahead_at_the_top_of_the_image(shared_data: Path) -> None:
    paths = _xt2_line(shared_data)
    with open_frame(paths[1]) as nxt:
        lon, lat = nxt.meta.lon, nxt.meta.lat
    with open_frame(paths[0]) as frame:
        x, y = frame.georef.ground_to_pixel([lon], [lat])
        assert abs(x[0] - frame.width / 2) < 15
        assert y[0] < frame.height / 2 - 100


@pytest.mark.parametrize(
    "relative",
    [
        "geotagged/lacmus_ladd_335/335.jpg",
        "geotagged/orthority_p4rtk/100_0005_0018.tif",
        "geotagged/deervision_dji_xt2/DJI_0010_R.JPG",
        "geotagged/deepforest_dji/AWPE_Pigeon_Lake_2020_DJI_0005.JPG",
    ],
)
def test_pixel_to_ground_to_pixel_round_trip(shared_data: Path, relative: str) -> None:
    with open_frame(shared_data / relative) as frame:
        xs = np.array([frame.width / 2, 10.0, frame.width - 10.0, 0.25 * frame.width])
        ys = np.array([frame.height / 2, frame.height - 10.0, frame.height - 10.0, 0.6 * frame.height])
        lon, lat, radius = frame.georef.pixel_to_ground(xs, ys)
        assert np.all(np.isfinite(radius))
        back_x, back_y = frame.georef.ground_to_pixel(lon, lat)
    np.testing.assert_allclose(back_x, xs, atol=1e-3)
    np.testing.assert_allclose(back_y, ys, atol=1e-3)


def test_lacmus_centre_is_near_the_drone_and_radius_grows_outwards(shared_data: Path) -> None:
    with open_frame(shared_data / "geotagged/lacmus_ladd_335/335.jpg") as frame:
        meta = frame.meta
        lon, lat, radius = frame.georef.pixel_to_ground([2000, 0, 4000], [1500, 0, 3000])
        # 5.7° off nadir at 47.3 m: the centre lies 4.7 m from the point under the drone
        offset = float(distance_m(meta.lon, meta.lat, lon[0], lat[0]))
        assert offset == pytest.approx(47.3 * math.tan(math.radians(90 - 84.3)), rel=0.02)
        assert radius[0] < radius[1] and radius[0] < radius[2]
        assert frame.gsd_m == pytest.approx(47.3 / 3051.6 / math.cos(math.radians(5.7)) ** 1.5, rel=0.02)


def test_p4rtk_intrinsics_are_scaled_to_the_downsampled_raster(shared_data: Path) -> None:
    with open_frame(shared_data / "geotagged/orthority_p4rtk/100_0005_0018.tif") as frame:
        intrinsics = frame.georef.intrinsics
    assert intrinsics.source == "dji_dewarp"
    assert intrinsics.fx == pytest.approx(3657.02 * 1368 / 5472)
    assert intrinsics.cx == pytest.approx((2736 - 4.03) / 4)
    assert intrinsics.distortion is not None


def test_cropped_photo_widens_the_radius(shared_data: Path) -> None:
    with open_frame(shared_data / "geotagged/deepforest_dji/AWPE_Pigeon_Lake_2020_DJI_0005.JPG") as frame:
        assert any("cropped" in line for line in frame.warnings)
        assert frame.georef.intrinsics.centre_uncertainty_px > 1000
        _, _, radius = frame.georef.pixel_to_ground([frame.width / 2], [frame.height / 2])
    assert radius[0] > 10


@pytest.mark.parametrize(
    ("relative", "kind", "reason"),
    [
        ("geotagged/odm_seneca/IMG_0447.jpg", "position_only", "attitude"),
        ("geotagged/edge_cases/webodm_tiny_drone_image.jpg", "position_only", "sensor size"),
        ("geotagged/edge_cases/DJI_0218_mini3pro_gps_zero.JPG", "none", "0,0"),
    ],
)
def test_frames_without_a_usable_pose_fall_back(
    shared_data: Path, relative: str, kind: str, reason: str
) -> None:
    with open_frame(shared_data / relative) as frame:
        georef = frame.georef
        assert georef.kind == kind
        lon, lat, radius = georef.pixel_to_ground([1.0, 20.0], [1.0, 20.0])
        if kind == "position_only":
            assert isinstance(georef, PositionOnlyGeoref)
            assert reason in georef.reason
            assert np.all(lon == frame.meta.lon) and np.all(lat == frame.meta.lat)
            assert np.all(radius >= 300)
            assert any("GPS position" in line for line in frame.warnings)
        else:
            assert reason in georef.reason and np.all(np.isinf(radius))


def _synthetic(attitude: Attitude, height: float = 100.0, orientation: int = 1) -> CameraGeoref:
    intrinsics = Intrinsics(
        fx=1000.0, fy=1000.0, cx=400.0, cy=300.0, width=800, height=600, source="camera_table"
    )
    budget = ErrorBudget(gps_m=5.0, height_m=3.0, tilt_deg=2.0, yaw_deg=5.0, focal_fraction=0.02)
    return CameraGeoref(
        intrinsics=intrinsics,
        lon=10.0,
        lat=50.0,
        height_m=height,
        attitude=attitude,
        orientation=orientation,
        budget=budget,
        flat_budget=budget,
    )


@pytest.mark.parametrize(
    ("yaw", "top_east", "top_north"),
    [(0.0, 0.0, 1.0), (90.0, 1.0, 0.0), (180.0, 0.0, -1.0), (-90.0, -1.0, 0.0)],
)
def test_nadir_image_top_points_along_the_yaw(yaw: float, top_east: float, top_north: float) -> None:
    georef = _synthetic(Attitude(yaw, -90.0, 0.0, "test"))
    lon, lat, _ = georef.pixel_to_ground([400.0, 400.0], [300.0, 0.0])
    east, north = lonlat_to_enu(10.0, 50.0, lon, lat)
    assert abs(east[0]) < 1e-6 and abs(north[0]) < 1e-6  # centre straight below
    assert east[1] == pytest.approx(top_east * 30.0, abs=1e-6)  # 300 px from centre at f = 1000 px, 100 m
    assert north[1] == pytest.approx(top_north * 30.0, abs=1e-6)


def test_oblique_camera_looks_ahead_and_sees_the_horizon_as_nothing() -> None:
    georef = _synthetic(Attitude(0.0, -45.0, 0.0, "test"))
    lon, lat, radius = georef.pixel_to_ground([400.0, 400.0], [300.0, -10000.0])
    east, north = lonlat_to_enu(10.0, 50.0, lon[:1], lat[:1])
    assert north[0] == pytest.approx(100.0) and abs(east[0]) < 1e-6
    assert np.isnan(lon[1]) and np.isinf(radius[1])  # far above the horizon
    assert len(georef.footprint()) == 32  # clipped, not dropped
    assert georef.gsd_at_centre() == pytest.approx(100 * math.sqrt(2) / 1000 * 2**0.25, rel=1e-3)


def test_roll_turns_the_image_about_the_optical_axis() -> None:
    """Tait-Bryan yaw, pitch, roll: looking straight down, rolling right equals turning right."""
    rolled = _synthetic(Attitude(0.0, -90.0, 10.0, "test"))
    turned = _synthetic(Attitude(10.0, -90.0, 0.0, "test"))
    xs, ys = np.array([400.0, 0.0, 800.0]), np.array([300.0, 0.0, 600.0])
    np.testing.assert_allclose(rolled.pixel_to_ground(xs, ys)[:2], turned.pixel_to_ground(xs, ys)[:2])
    np.testing.assert_allclose(rotation(rolled.attitude) @ [0, 0, 1], [0, 0, -1], atol=1e-12)


@pytest.mark.parametrize("value", [1, 3, 6, 8])
def test_orientation_does_not_move_the_ground(value: int) -> None:
    """The same scene pixel gives the same ground point whatever the EXIF orientation."""
    from sartriage.frames import orientation as orient

    stored = _synthetic(Attitude(30.0, -70.0, 0.0, "test"))
    turned = _synthetic(Attitude(30.0, -70.0, 0.0, "test"), orientation=value)
    raw_x, raw_y = np.array([100.0, 700.0]), np.array([50.0, 500.0])
    shown_x, shown_y = orient.from_raw(raw_x, raw_y, value, 800, 600)
    a = stored.pixel_to_ground(raw_x, raw_y)
    b = turned.pixel_to_ground(shown_x, shown_y)
    np.testing.assert_allclose(a[0], b[0])
    np.testing.assert_allclose(a[1], b[1])


def test_distortion_round_trip() -> None:
    intrinsics = Intrinsics(
        fx=914.0,
        fy=912.0,
        cx=683.0,
        cy=462.0,
        width=1368,
        height=912,
        source="dji_dewarp",
        distortion=(-0.267, 0.112, 0.000925, 0.0000882, -0.0332),
    )
    u, v = np.array([0.0, 1368.0, 683.0, 100.0]), np.array([0.0, 912.0, 462.0, 800.0])
    x, y = intrinsics.normalise(u, v)
    back_u, back_v = intrinsics.project(x, y)
    np.testing.assert_allclose(back_u, u, atol=1e-6)
    np.testing.assert_allclose(back_v, v, atol=1e-6)
    assert abs(x[0]) > abs((0.0 - 683.0) / 914.0)  # barrel distortion: corners see wider than pinhole
