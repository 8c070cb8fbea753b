from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from sartriage.frames.camera import CameraGeoref, PositionOnlyGeoref
from sartriage.frames.geolocate import georeference
from sartriage.frames.georef import NotGeoreferenced
from sartriage.frames.metadata import Attitude, FrameMeta, SensorSize

NADIR = Attitude(0.0, -90.0, 0.0, "dji_gimbal")
GOOD = FrameMeta(
    raster_width=4000,
    raster_height=3000,
    lat=46.5,
    lon=7.5,
    relative_altitude_m=80.0,
    absolute_altitude_m=1500.0,
    attitude=NADIR,
    focal_length_mm=4.5,
    sensor=SensorSize(6.17, 4.55, "camera_table", "test"),
)


def _georef(meta: FrameMeta, dem: Path | None = None):
    return georeference(Path("DJI_0001.JPG"), meta, meta.raster_width, meta.raster_height, None, dem)


def test_complete_metadata_gives_a_camera_model() -> None:
    georef, gsd, warnings = _georef(GOOD)
    assert isinstance(georef, CameraGeoref) and georef.kind == "camera"
    assert gsd == pytest.approx(80.0 * 6.17 / 4.5 / 4000)
    assert warnings == ()


@pytest.mark.parametrize(
    ("change", "reason", "radius_at_least"),
    [
        ({"relative_altitude_m": 0.0}, "no usable height", 300.0),
        ({"relative_altitude_m": -12.0}, "no usable height", 300.0),
        ({"relative_altitude_m": None}, "no usable height", 300.0),
        ({"attitude": None}, "no camera attitude", 80.0),
        ({"sensor": None}, "sensor size unknown", 160.0),
        ({"attitude": Attitude(0.0, -2.0, 0.0, "dji_gimbal")}, "horizon", 80.0),
    ],
)
def test_unreliable_height_or_attitude_falls_back_to_the_gps_position(
    change: dict[str, object], reason: str, radius_at_least: float
) -> None:
    georef, _, warnings = _georef(replace(GOOD, **change))
    assert isinstance(georef, PositionOnlyGeoref)
    assert reason in georef.reason
    assert georef.radius_m >= radius_at_least
    lon, lat, radius = georef.pixel_to_ground([0.0, 4000.0], [0.0, 3000.0])
    assert np.all(lon == 7.5) and np.all(lat == 46.5) and np.all(radius == georef.radius_m)
    assert any("GPS position" in line and reason in line for line in warnings)


def test_relative_altitude_zero_says_so() -> None:
    _, _, warnings = _georef(replace(GOOD, relative_altitude_m=0.0))
    assert any("RelativeAltitude is 0 m" in line for line in warnings)


def test_known_height_narrows_the_fallback_radius() -> None:
    no_attitude, _, _ = _georef(replace(GOOD, attitude=None))
    no_height, _, _ = _georef(replace(GOOD, attitude=None, relative_altitude_m=None))
    assert isinstance(no_attitude, PositionOnlyGeoref) and isinstance(no_height, PositionOnlyGeoref)
    assert no_attitude.radius_m < no_height.radius_m


def test_no_position_is_not_georeferenced() -> None:
    georef, gsd, _ = _georef(replace(GOOD, lat=None, lon=None))
    assert isinstance(georef, NotGeoreferenced) and gsd is None
    assert "no GPS position" in georef.reason


def test_rtk_fixed_tightens_the_nadir_radius() -> None:
    rtk = replace(GOOD, rtk_flag=50, rtk_std_lon_m=0.01, rtk_std_lat_m=0.01, rtk_std_hgt_m=0.02)
    plain, _, _ = _georef(GOOD)
    fixed, _, _ = _georef(rtk)
    assert fixed.pixel_to_ground([2000.0], [1500.0])[2][0] < plain.pixel_to_ground([2000.0], [1500.0])[2][0]
