from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
import rasterio

from sartriage.frames.metadata import number, numbers, read_meta
from sartriage.frames.xmp import Xmp


def _tags_and_xmp(path: Path) -> tuple[dict[str, str], str | None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with rasterio.open(path) as src:
            return dict(src.tags()), src.tags(ns="xml:XMP").get("xml:XMP")


def test_lacmus_mavic_pro_exif_and_dji_xmp(shared_data: Path) -> None:
    tags, xmp = _tags_and_xmp(shared_data / "geotagged/lacmus_ladd_335/335.jpg")
    meta = read_meta(tags, xmp, 4000, 3000)
    assert (meta.make, meta.model, meta.vendor) == ("DJI", "FC220", "dji")
    assert meta.captured_at == "2019-02-27T14:49:05"
    assert meta.lat == pytest.approx(55 + 58 / 60 + 25.0134 / 3600)
    assert meta.lon == pytest.approx(37 + 41 / 60 + 3.7828 / 3600)
    assert meta.gps_altitude_m == pytest.approx(225.519)
    assert meta.relative_altitude_m == pytest.approx(47.3)  # written "+47.30"
    assert meta.absolute_altitude_m == pytest.approx(225.52)
    assert meta.attitude is not None
    assert (meta.attitude.yaw_deg, meta.attitude.pitch_deg, meta.attitude.roll_deg) == (-61.5, -84.3, 0.0)
    assert meta.attitude.source == "dji_gimbal"
    assert (meta.flight_yaw_deg, meta.flight_pitch_deg, meta.flight_roll_deg) == (-61.4, -5.0, 0.7)
    assert meta.focal_length_mm == pytest.approx(4.73)
    assert meta.focal_length_35mm == 26
    assert meta.calibrated_focal_px == pytest.approx(3051.613037)
    assert meta.sensor is not None and meta.sensor.source == "camera_table"
    assert meta.sensor.width_mm == pytest.approx(6.17)
    assert meta.warnings == ()
    json.dumps(meta.to_dict(), allow_nan=False)  # JSON-safe for the store


def test_xt2_focal_plane_resolution_holds_the_sensor_size(shared_data: Path) -> None:
    tags, xmp = _tags_and_xmp(shared_data / "geotagged/deervision_dji_xt2/DJI_0002_R.JPG")
    meta = read_meta(tags, xmp, 640, 512)
    assert meta.model == "XT2"
    assert meta.sensor is not None
    assert meta.sensor.source == "focal_plane_resolution"
    assert "XT2 style" in meta.sensor.detail
    assert (meta.sensor.width_mm, meta.sensor.height_mm) == pytest.approx((10.88, 8.704))
    assert meta.relative_altitude_m == pytest.approx(100.0)  # written as an element, not an attribute
    assert meta.attitude is not None and meta.attitude.pitch_deg == pytest.approx(-90.0)
    assert meta.lon is not None and meta.lon < 0  # GPSLongitudeRef W


def test_p4rtk_downsampled_tiff_keeps_full_size_exif_and_rtk(shared_data: Path) -> None:
    tags, xmp = _tags_and_xmp(shared_data / "geotagged/orthority_p4rtk/100_0005_0018.tif")
    assert xmp is not None and xmp.startswith("xml:XMP=")  # GDAL's TIFF quirk: the packet is prefixed
    meta = read_meta(tags, xmp, 1368, 912)
    assert (meta.exif_width, meta.exif_height) == (5472, 3648)
    assert meta.rtk_flag == 50 and meta.rtk_fixed
    assert meta.rtk_std_lat_m == pytest.approx(0.00935)
    assert meta.dewarp is not None and meta.dewarp[0] == pytest.approx(3657.02)
    assert meta.dewarp[4] == pytest.approx(-0.267098)
    assert not meta.dewarp_applied
    assert meta.attitude is not None and (meta.attitude.yaw_deg, meta.attitude.pitch_deg) == (92.9, -60.0)


def test_gps_zero_and_relative_altitude_zero(shared_data: Path) -> None:
    tags, xmp = _tags_and_xmp(shared_data / "geotagged/edge_cases/DJI_0218_mini3pro_gps_zero.JPG")
    meta = read_meta(tags, xmp, 4032, 3024)
    assert meta.lat is None and meta.lon is None and not meta.has_position
    assert meta.relative_altitude_m == 0.0
    assert any("0,0" in line for line in meta.warnings)
    assert meta.drone_model == "Mini 3 Pro"
    assert meta.sensor is not None and meta.sensor.source == "camera_table"


def test_canon_on_a_fixed_wing_has_gps_but_no_attitude(shared_data: Path) -> None:
    tags, xmp = _tags_and_xmp(shared_data / "geotagged/odm_seneca/IMG_0447.jpg")
    meta = read_meta(tags, xmp, 3600, 2700)
    assert meta.has_position and meta.attitude is None and meta.relative_altitude_m is None
    assert meta.sensor is not None and meta.sensor.source == "focal_plane_resolution"
    assert meta.sensor.width_mm == pytest.approx(6.2, abs=0.1)  # a 1/2.3-inch compact


def test_35mm_equivalent_when_nothing_else() -> None:
    tags = {"EXIF_Model": "NoSuchCam", "EXIF_FocalLength": "(4.5)", "EXIF_FocalLengthIn35mmFilm": "24"}
    meta = read_meta(tags, None, 4000, 3000)
    assert meta.sensor is not None and meta.sensor.source == "35mm_equivalent"
    assert meta.sensor.width_mm == pytest.approx(43.27 * 4.5 / 24 * 0.8, rel=0.01)


def test_focal_plane_resolution_disagreeing_with_the_table_loses() -> None:
    tags = {
        "EXIF_Model": "FC6310",
        "EXIF_FocalPlaneXResolution": "(100)",
        "EXIF_FocalPlaneYResolution": "(100)",
        "EXIF_FocalPlaneResolutionUnit": "4",
    }
    meta = read_meta(tags, None, 5472, 3648)
    assert meta.sensor is not None and meta.sensor.source == "camera_table"
    assert any("camera table" in line for line in meta.warnings)


@pytest.mark.parametrize(
    ("tags", "field", "warning"),
    [
        (
            {
                "EXIF_GPSLatitude": "(123) (0) (0)",
                "EXIF_GPSLatitudeRef": "N",
                "EXIF_GPSLongitude": "(10) (0) (0)",
                "EXIF_GPSLongitudeRef": "E",
            },
            "lat",
            "outside",
        ),
        (
            {
                "EXIF_GPSLatitude": "(nan) (0) (0)",
                "EXIF_GPSLatitudeRef": "N",
                "EXIF_GPSLongitude": "(10) (0) (0)",
                "EXIF_GPSLongitudeRef": "E",
            },
            "lat",
            None,
        ),
        (
            {
                "EXIF_GPSLatitude": "(45) (0) (0)",
                "EXIF_GPSLatitudeRef": "Q",
                "EXIF_GPSLongitude": "(10) (0) (0)",
                "EXIF_GPSLongitudeRef": "E",
            },
            "lat",
            None,
        ),
        ({"EXIF_DateTimeOriginal": "0000:00:00 00:00:00"}, "captured_at", "not a valid date"),
        ({"EXIF_FocalLength": "(-3)"}, "focal_length_mm", None),
        ({"EXIF_FocalLength": "(inf)"}, "focal_length_mm", None),
        ({"EXIF_GPSAltitude": "(99999)"}, "gps_altitude_m", None),
        ({"EXIF_Orientation": "42"}, "orientation", "orientation"),
    ],
)
def test_garbage_exif_values_are_dropped(tags: dict[str, str], field: str, warning: str | None) -> None:
    meta = read_meta(tags, None, 100, 80)
    value = getattr(meta, field)
    assert value is None or (field == "orientation" and value == 1)
    if warning:
        assert any(warning in line for line in meta.warnings)


def test_below_sea_level_gps_altitude() -> None:
    meta = read_meta({"EXIF_GPSAltitude": "(12.5)", "EXIF_GPSAltitudeRef": "0x01"}, None, 10, 10)
    assert meta.gps_altitude_m == -12.5


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(55) (58) (25.0134)", [55.0, 58.0, 25.0134]),
        ("+47.30", [47.3]),
        ("-0.5", [-0.5]),
        ("(1e3)", [1000.0]),
        ("", []),
        ("(inf)", []),
        ("abc", []),
    ],
)
def test_numbers(text: str, expected: list[float]) -> None:
    assert numbers(text) == pytest.approx(expected)


def test_number_needs_exactly_one() -> None:
    assert number("(1) (2)") is None
    assert number("+3.5") == 3.5


def _packet(body: str, namespaces: str) -> str:
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description rdf:about="" {namespaces}>{body}</rdf:Description></rdf:RDF></x:xmpmeta>'
        '<?xpacket end="w"?>'
    )


PARROT = _packet(
    "<drone-parrot:CameraPitchDegree>-89.5</drone-parrot:CameraPitchDegree>"
    "<drone-parrot:CameraYawDegree>12.25</drone-parrot:CameraYawDegree>"
    "<drone-parrot:CameraRollDegree>0.4</drone-parrot:CameraRollDegree>",
    'xmlns:drone-parrot="http://www.parrot.com/drone-parrot/1.0/"',
)
SKYDIO = _packet(
    '<drone-skydio:CameraOrientationNED rdf:parseType="Resource">'
    "<drone-skydio:Yaw>-100.5</drone-skydio:Yaw><drone-skydio:Pitch>-45</drone-skydio:Pitch>"
    "<drone-skydio:Roll>1</drone-skydio:Roll></drone-skydio:CameraOrientationNED>"
    '<drone-skydio:CameraOrientationFLU rdf:parseType="Resource"><drone-skydio:Yaw>3</drone-skydio:Yaw>'
    "<drone-skydio:Pitch>7</drone-skydio:Pitch></drone-skydio:CameraOrientationFLU>"
    "<drone-skydio:Latitude>37.5</drone-skydio:Latitude><drone-skydio:Longitude>-122.25</drone-skydio:Longitude>"
    "<drone-skydio:AbsoluteAltitude>120.5</drone-skydio:AbsoluteAltitude>",
    'xmlns:drone-skydio="https://www.skydio.com/drone-skydio/1.0/"',
)
AUTEL_OLD = _packet(
    "",
    'xmlns:Camera="http://pix4d.com/camera/1.0/" Camera:Pitch="5.0" Camera:Yaw="-30.0" Camera:Roll="0.5"',
)
AUTEL_NEW = _packet(
    "",
    'xmlns:drone="http://www.autelrobotics.com/drone/1.0/" drone:GimbalPitchDegree="-88.0" '
    'drone:GimbalYawDegree="+15.5" drone:GimbalRollDegree="0.0" drone:RelativeAltitude="+60.2"',
)


@pytest.mark.parametrize(
    ("packet", "make", "vendor", "attitude", "source"),
    [
        (PARROT, "Parrot", "parrot", (12.25, -89.5, 0.4), "parrot_camera"),
        (SKYDIO, "Skydio", "skydio", (-100.5, -45.0, 1.0), "skydio_camera_ned"),
        (AUTEL_OLD, "Autel Robotics", "autel", (-30.0, -85.0, 0.5), "pix4d_camera"),
        (AUTEL_NEW, "Autel Robotics", "autel", (15.5, -88.0, 0.0), "autel_gimbal"),
    ],
)
def test_vendor_attitude_tags(
    packet: str, make: str, vendor: str, attitude: tuple[float, float, float], source: str
) -> None:
    meta = read_meta({"EXIF_Make": make}, packet, 100, 80)
    assert meta.vendor == vendor
    assert meta.attitude is not None
    assert (meta.attitude.yaw_deg, meta.attitude.pitch_deg, meta.attitude.roll_deg) == pytest.approx(attitude)
    assert meta.attitude.source == source


def test_skydio_position_from_xmp_and_autel_relative_altitude() -> None:
    skydio = read_meta({"EXIF_Make": "Skydio"}, SKYDIO, 100, 80)
    assert (skydio.lat, skydio.lon, skydio.absolute_altitude_m) == (37.5, -122.25, 120.5)
    assert read_meta({}, AUTEL_NEW, 100, 80).relative_altitude_m == pytest.approx(60.2)


@pytest.mark.parametrize(
    "packet",
    [
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">&lol2;</x:xmpmeta>',
        '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><x>&xxe;</x>',
        "<x:xmpmeta not closed",
        "no xml here at all",
    ],
)
def test_hostile_or_broken_xmp_is_ignored(packet: str) -> None:
    assert len(Xmp.parse(packet)) == 0
    meta = read_meta({"EXIF_Make": "DJI"}, packet, 100, 80)
    assert meta.attitude is None
    assert any("XMP" in line for line in meta.warnings)


def test_the_gps_receivers_utc_time_pins_down_a_camera_clock_without_a_time_zone(shared_data: Path) -> None:
    tags, xmp = _tags_and_xmp(sorted((shared_data / "geotagged/odm_caliterra").glob("*.jpg"))[0])
    assert tags["EXIF_DateTimeOriginal"].endswith("13:20:51")  # the camera's clock: local time, no offset
    meta = read_meta(tags, xmp, 4000, 3000)
    assert meta.captured_at == "2014-10-19T18:20:51+00:00"  # what the GPS receiver says, in UTC


@pytest.mark.parametrize(
    ("tags", "captured_at"),
    [
        ({"EXIF_DateTimeOriginal": "2020:06:04 22:10:30"}, "2020-06-04T22:10:30"),  # zone unknown: no offset
        ({"EXIF_DateTimeOriginal": "2020:06:04 22:10:30", "EXIF_OffsetTimeOriginal": "+02:00"},
         "2020-06-04T22:10:30+02:00"),
        ({"EXIF_DateTimeOriginal": "2020:06:04 22:10:30", "EXIF_OffsetTimeOriginal": "+02:00",
          "EXIF_GPSDateStamp": "2020:06:04", "EXIF_GPSTimeStamp": "(20) (10) (31)"},
         "2020-06-04T22:10:30+02:00"),  # the camera's own offset stands
        ({"EXIF_GPSDateStamp": "2020:06:04", "EXIF_GPSTimeStamp": "(25) (10) (31)"}, None),  # not a time
        ({"EXIF_GPSDateStamp": "2020:06:04", "EXIF_GPSTimeStamp": "(4) (5) (6.5)"},
         "2020-06-04T04:05:06+00:00"),
    ],
)  # fmt: skip
def test_capture_time_and_its_zone(tags: dict[str, str], captured_at: str | None) -> None:
    assert read_meta(tags, None, 100, 100).captured_at == captured_at
