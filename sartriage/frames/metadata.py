"""What a photo says about itself: EXIF (as GDAL exposes it) and vendor XMP, checked and typed.

Vendors' XMP tags read here:

- DJI ``drone-dji:`` (also Autel firmware that writes DJI-style names): RelativeAltitude,
  AbsoluteAltitude, GimbalYaw/Pitch/RollDegree, FlightYaw/Pitch/RollDegree, GpsLatitude,
  GpsLongitude (and the ``GpsLongtitude`` misspelling), GpsStatus, CalibratedFocalLength,
  CalibratedOpticalCenterX/Y, RtkFlag, RtkStdLon/Lat/Hgt, ImageSource, DroneModel;
- Parrot ``drone-parrot:``: CameraYaw/Pitch/RollDegree, FlightYaw/Pitch/RollDegree;
- Skydio ``drone-skydio:``: CameraOrientationNED Yaw/Pitch/Roll, Latitude, Longitude,
  AbsoluteAltitude, RelativeAltitude;
- Autel (older firmware), senseFly and other Pix4D-style ``Camera:`` Yaw/Pitch/Roll, whose
  pitch is 0 at nadir (converted here to the DJI convention: -90 at nadir).

Every value that is missing or nonsense becomes ``None`` and, where it matters, a line in
``FrameMeta.warnings``; nothing here raises on bad metadata.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sartriage.frames import sensors
from sartriage.frames.xmp import Xmp

_MM_PER_UNIT = {1: None, 2: 25.4, 3: 10.0, 4: 1.0, 5: 0.001}
_FULL_FRAME_DIAGONAL_MM = math.hypot(36.0, 24.0)
_PLAUSIBLE_SENSOR_WIDTH_MM = (0.5, 60.0)


@dataclass(frozen=True, slots=True)
class SensorSize:
    """Active sensor area in millimetres and where it came from.

    ``source`` is one of ``focal_plane_resolution``, ``camera_table``, ``35mm_equivalent``.
    """

    width_mm: float
    height_mm: float
    source: str
    detail: str


@dataclass(frozen=True, slots=True)
class Attitude:
    """Camera orientation in the DJI convention: yaw clockwise from true north, pitch -90 at
    nadir and 0 at the horizon, roll positive clockwise seen from behind the camera."""

    yaw_deg: float
    pitch_deg: float
    roll_deg: float
    source: str


@dataclass(frozen=True)
class FrameMeta:
    raster_width: int
    raster_height: int
    orientation: int = 1
    make: str | None = None
    model: str | None = None
    vendor: str | None = None
    drone_model: str | None = None
    image_source: str | None = None
    captured_at: str | None = None
    lat: float | None = None
    lon: float | None = None
    gps_altitude_m: float | None = None
    gps_error_m: float | None = None
    relative_altitude_m: float | None = None
    absolute_altitude_m: float | None = None
    attitude: Attitude | None = None
    flight_yaw_deg: float | None = None
    flight_pitch_deg: float | None = None
    flight_roll_deg: float | None = None
    focal_length_mm: float | None = None
    focal_length_35mm: float | None = None
    exif_width: int | None = None
    exif_height: int | None = None
    calibrated_focal_px: float | None = None
    calibrated_cx_px: float | None = None
    calibrated_cy_px: float | None = None
    rtk_flag: int | None = None
    rtk_std_lon_m: float | None = None
    rtk_std_lat_m: float | None = None
    rtk_std_hgt_m: float | None = None
    dewarp: tuple[float, ...] | None = None
    dewarp_applied: bool = False
    sensor: SensorSize | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def has_position(self) -> bool:
        return self.lat is not None and self.lon is not None

    @property
    def rtk_fixed(self) -> bool:
        """DJI RtkFlag 50 means a fixed RTK solution (centimetre level)."""
        return self.rtk_flag == 50

    def capture_time(self) -> tuple[datetime | None, datetime | None]:
        """(UTC time, camera clock): the first when the photo tells its time zone (an offset tag, or the GPS
        receiver's UTC time), else the second, a local time of unknown zone that must never be called UTC."""
        if not self.captured_at:
            return None, None
        moment = datetime.fromisoformat(self.captured_at)
        if moment.tzinfo is None:
            return None, moment
        return moment.astimezone(UTC), None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: plain numbers, strings, None, lists and dicts."""
        out = asdict(self)
        out["warnings"] = list(self.warnings)
        return out


def _token(token: str) -> float:
    token = token.strip("()")
    if token.lower().startswith("0x"):
        return float(int(token, 16))
    return float(token)


def numbers(text: str | None) -> list[float]:
    """The numbers of a GDAL EXIF value such as ``"(55) (58) (25.0134)"``, ``"+47.30"`` or ``"0x01"``;
    empty when any part is not a finite number."""
    if not text:
        return []
    try:
        values = [_token(token) for token in text.split()]
    except ValueError:
        return []
    return values if all(math.isfinite(v) for v in values) else []


def number(text: str | None) -> float | None:
    values = numbers(text)
    return values[0] if len(values) == 1 else None


def _dms(text: str | None, ref: str | None, positive: str, negative: str) -> float | None:
    values = numbers(text)
    if not values or len(values) > 3:
        return None
    degrees = sum(v / 60.0**i for i, v in enumerate(values))
    ref = (ref or positive).strip().upper()[:1]
    if ref not in (positive, negative):
        return None
    return -degrees if ref == negative else degrees


def _gps_time(date: str | None, time: str | None) -> str | None:
    """The GPS receiver's date and time of day (always UTC) as ISO 8601 with +00:00, when both are valid."""
    hms = numbers(time)
    if not date or len(hms) != 3 or not (0 <= hms[0] < 24 and 0 <= hms[1] < 60 and 0 <= hms[2] < 61):
        return None
    try:
        day = datetime.strptime(date.strip()[:10], "%Y:%m:%d")
    except ValueError:
        return None
    return (day + timedelta(hours=hms[0], minutes=hms[1], seconds=int(hms[2]))).isoformat() + "+00:00"


def _offset(text: str | None) -> str | None:
    """An EXIF OffsetTime value ("+02:00") when it is one."""
    return text.strip() if text and re.fullmatch(r"[+-]\d\d:\d\d", text.strip()) else None


def _timestamp(text: str | None, offset: str | None) -> str | None:
    if not text:
        return None
    try:
        moment = datetime.strptime(text.strip()[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    return moment.isoformat() + (offset or "")


def _in(value: float | None, low: float, high: float) -> float | None:
    return value if value is not None and low <= value <= high else None


def _vendor(make: str | None, xmp: Xmp) -> str | None:
    names = " ".join([make or "", *xmp.namespaces()]).lower()
    for vendor, marks in (
        ("dji", ("dji", "hasselblad")),
        ("autel", ("autel",)),
        ("parrot", ("parrot",)),
        ("skydio", ("skydio",)),
    ):
        if any(mark in names for mark in marks):
            return vendor
    return None


def _attitude(xmp: Xmp) -> Attitude | None:
    """The first complete set of camera angles, converted to the DJI convention."""
    sets = (
        ("drone-dji", ("GimbalYawDegree", "GimbalPitchDegree", "GimbalRollDegree"), "dji_gimbal", 0.0),
        ("autel", ("GimbalYawDegree", "GimbalPitchDegree", "GimbalRollDegree"), "autel_gimbal", 0.0),
        ("drone-parrot", ("CameraYawDegree", "CameraPitchDegree", "CameraRollDegree"), "parrot_camera", 0.0),
        (
            "drone-skydio",
            ("CameraOrientationNED/Yaw", "CameraOrientationNED/Pitch", "CameraOrientationNED/Roll"),
            "skydio_camera_ned",
            0.0,
        ),
        ("pix4d.com/camera", ("Yaw", "Pitch", "Roll"), "pix4d_camera", -90.0),
        ("sensefly", ("Yaw", "Pitch", "Roll"), "sensefly_camera", -90.0),
    )
    for namespace, names, source, pitch_offset in sets:
        yaw, pitch, roll = (number(xmp.find(namespace, name)) for name in names)
        if yaw is None or pitch is None:
            continue
        pitch = _in(pitch + pitch_offset, -180.0, 180.0)
        yaw = _in(yaw, -360.0, 360.0)
        roll = _in(roll if roll is not None else 0.0, -180.0, 180.0)
        if yaw is None or pitch is None or roll is None:
            continue
        return Attitude(yaw_deg=yaw, pitch_deg=pitch, roll_deg=roll, source=source)
    return None


def _sensor_from_focal_plane(
    tags: Mapping[str, str], width: int, height: int, warnings: list[str]
) -> SensorSize | None:
    x_res = number(tags.get("EXIF_FocalPlaneXResolution"))
    y_res = number(tags.get("EXIF_FocalPlaneYResolution")) or x_res
    unit = number(tags.get("EXIF_FocalPlaneResolutionUnit"))
    mm_per_unit = _MM_PER_UNIT.get(int(unit) if unit is not None else 2)
    if not x_res or not y_res or x_res <= 0 or y_res <= 0 or mm_per_unit is None:
        return None
    aspect = width / height
    if abs(x_res / y_res - aspect) < 0.02 * aspect and abs(x_res / y_res - 1.0) > 0.05:
        # Square pixels give equal X and Y resolutions; X/Y equal to the image aspect means the
        # tags hold the sensor's width and height (the Zenmuse XT2 writes 10.88 x 8.704 mm).
        size = SensorSize(
            x_res * mm_per_unit,
            y_res * mm_per_unit,
            "focal_plane_resolution",
            "EXIF FocalPlaneX/YResolution hold the sensor size itself (XT2 style)",
        )
    else:
        size = SensorSize(
            width / x_res * mm_per_unit,
            height / y_res * mm_per_unit,
            "focal_plane_resolution",
            "EXIF FocalPlaneXResolution (pixels per unit) and the image width",
        )
    low, high = _PLAUSIBLE_SENSOR_WIDTH_MM
    if not low <= size.width_mm <= high:
        warnings.append(f"focal-plane resolution gives an impossible {size.width_mm:.1f} mm sensor; ignored")
        return None
    return size


def _sensor(
    tags: Mapping[str, str],
    model: str | None,
    focal_mm: float | None,
    focal_35mm: float | None,
    width: int,
    height: int,
    warnings: list[str],
) -> SensorSize | None:
    """Sensor size from focal-plane resolution, else the camera table, else the 35 mm equivalent."""
    from_tags = _sensor_from_focal_plane(tags, width, height, warnings)
    spec = sensors.lookup(model, width)
    from_table = (
        SensorSize(spec.width_mm, spec.height_mm, "camera_table", spec.description)
        if spec is not None
        else None
    )
    if from_tags and from_table and abs(from_tags.width_mm / from_table.width_mm - 1.0) > 0.1:
        warnings.append(
            f"focal-plane resolution gives a {from_tags.width_mm:.2f} mm sensor but a {model} has "
            f"{from_table.width_mm:.2f} mm; using the camera table"
        )
        return from_table
    if from_tags or from_table:
        return from_tags or from_table
    if focal_mm and focal_35mm and focal_35mm > focal_mm:
        diagonal = _FULL_FRAME_DIAGONAL_MM * focal_mm / focal_35mm
        scale = diagonal / math.hypot(width, height)
        return SensorSize(
            width * scale,
            height * scale,
            "35mm_equivalent",
            "EXIF FocalLengthIn35mmFilm (diagonal crop factor)",
        )
    return None


def _dewarp(text: str | None) -> tuple[float, ...] | None:
    """DJI DewarpData ``"date;fx,fy,cx,cy,k1,k2,p1,p2,k3"`` (centre as offsets from the image centre)."""
    if not text:
        return None
    values = numbers(text.split(";")[-1].replace(",", " "))
    if len(values) != 9 or values[0] <= 0 or values[1] <= 0:
        return None
    return tuple(values)


def read_meta(
    tags: Mapping[str, str], xmp_packet: str | None, raster_width: int, raster_height: int
) -> FrameMeta:
    """Typed metadata from GDAL's EXIF tags (``EXIF_*``) and the XMP packet."""
    warnings: list[str] = []
    xmp = Xmp.parse(xmp_packet)
    if xmp_packet and not xmp:
        warnings.append("XMP packet present but not readable XML; vendor tags ignored")

    make = (tags.get("EXIF_Make") or xmp.find("tiff", "Make") or "").strip() or None
    model = (tags.get("EXIF_Model") or xmp.find("tiff", "Model") or "").strip() or None
    orientation_value = number(tags.get("EXIF_Orientation"))
    orientation = int(orientation_value) if orientation_value in (1, 2, 3, 4, 5, 6, 7, 8) else 1
    if orientation_value is not None and orientation_value not in (1, 2, 3, 4, 5, 6, 7, 8):
        warnings.append(f"EXIF orientation {orientation_value:g} is not a valid value; shown as stored")

    # the camera's clock is local time; only an offset tag or the GPS receiver's UTC time pins it down
    offset = _offset(tags.get("EXIF_OffsetTimeOriginal"))
    captured_at = _timestamp(tags.get("EXIF_DateTimeOriginal") or tags.get("EXIF_DateTime"), offset)
    if captured_at is None and (tags.get("EXIF_DateTimeOriginal") or tags.get("EXIF_DateTime")):
        warnings.append("capture time in EXIF is not a valid date; ignored")
    gps_time = _gps_time(tags.get("EXIF_GPSDateStamp"), tags.get("EXIF_GPSTimeStamp"))
    if gps_time is not None and (captured_at is None or offset is None):
        captured_at = gps_time

    lat = _dms(tags.get("EXIF_GPSLatitude"), tags.get("EXIF_GPSLatitudeRef"), "N", "S")
    lon = _dms(tags.get("EXIF_GPSLongitude"), tags.get("EXIF_GPSLongitudeRef"), "E", "W")
    if lat is None or lon is None:
        lat = number(xmp.find("drone-dji", "GpsLatitude") or xmp.find("drone-skydio", "Latitude"))
        lon = number(
            xmp.find("drone-dji", "GpsLongitude", "GpsLongtitude") or xmp.find("drone-skydio", "Longitude")
        )
    if lat is not None and lon is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
        warnings.append(f"GPS position {lat:.6f}, {lon:.6f} is outside the Earth's range; ignored")
        lat = lon = None
    if lat == 0.0 and lon == 0.0:
        warnings.append("GPS position is 0,0: the drone had no satellite fix")
        lat = lon = None
    gps_status = (tags.get("EXIF_GPSStatus") or "").strip().upper()
    if lat is not None and (
        gps_status == "V" or (xmp.find("drone-dji", "GpsStatus") or "").lower() == "invalid"
    ):
        warnings.append("GPS status says the fix was void; the position may be stale")

    gps_altitude = number(tags.get("EXIF_GPSAltitude"))
    if gps_altitude is not None and numbers(tags.get("EXIF_GPSAltitudeRef")) == [1.0]:
        gps_altitude = -gps_altitude
    gps_altitude = _in(gps_altitude, -500.0, 12000.0)

    relative = number(
        xmp.find("drone-dji", "RelativeAltitude")
        or xmp.find("autel", "RelativeAltitude")
        or xmp.find("drone-skydio", "RelativeAltitude")
    )
    if relative is not None and not -1000.0 <= relative <= 10000.0:
        warnings.append(f"RelativeAltitude {relative:g} m is not believable; ignored")
        relative = None
    absolute = _in(
        number(
            xmp.find("drone-dji", "AbsoluteAltitude")
            or xmp.find("autel", "AbsoluteAltitude")
            or xmp.find("drone-skydio", "AbsoluteAltitude")
        ),
        -500.0,
        12000.0,
    )

    focal_mm = _in(number(tags.get("EXIF_FocalLength")), 0.1, 2000.0)
    focal_35 = _in(number(tags.get("EXIF_FocalLengthIn35mmFilm")), 1.0, 5000.0)
    exif_width = number(tags.get("EXIF_PixelXDimension"))
    exif_height = number(tags.get("EXIF_PixelYDimension"))
    exif_width_px = int(exif_width) if exif_width and exif_width > 0 else None
    exif_height_px = int(exif_height) if exif_height and exif_height > 0 else None
    if (exif_width_px is None) != (exif_height_px is None):
        exif_width_px = exif_height_px = None
    sensor_w = exif_width_px or raster_width
    sensor_h = exif_height_px or raster_height

    calibrated = _in(number(xmp.find("drone-dji", "CalibratedFocalLength")), 10.0, 1e6)
    rtk_flag = number(xmp.find("drone-dji", "RtkFlag"))
    hpos_error = _in(number(tags.get("EXIF_GPSHPositioningError")), 0.001, 1000.0)

    return FrameMeta(
        raster_width=raster_width,
        raster_height=raster_height,
        orientation=orientation,
        make=make,
        model=model,
        vendor=_vendor(make, xmp),
        drone_model=xmp.find("drone-dji", "DroneModel"),
        image_source=xmp.find("drone-dji", "ImageSource"),
        captured_at=captured_at,
        lat=lat,
        lon=lon,
        gps_altitude_m=gps_altitude,
        gps_error_m=hpos_error,
        relative_altitude_m=relative,
        absolute_altitude_m=absolute,
        attitude=_attitude(xmp),
        flight_yaw_deg=_in(number(xmp.find("drone-", "FlightYawDegree")), -360.0, 360.0),
        flight_pitch_deg=_in(number(xmp.find("drone-", "FlightPitchDegree")), -180.0, 180.0),
        flight_roll_deg=_in(number(xmp.find("drone-", "FlightRollDegree")), -180.0, 180.0),
        focal_length_mm=focal_mm,
        focal_length_35mm=focal_35,
        exif_width=exif_width_px,
        exif_height=exif_height_px,
        calibrated_focal_px=calibrated,
        calibrated_cx_px=_in(number(xmp.find("drone-dji", "CalibratedOpticalCenterX")), 0.0, 1e6),
        calibrated_cy_px=_in(number(xmp.find("drone-dji", "CalibratedOpticalCenterY")), 0.0, 1e6),
        rtk_flag=int(rtk_flag) if rtk_flag is not None else None,
        rtk_std_lon_m=_in(number(xmp.find("drone-dji", "RtkStdLon")), 0.0, 1000.0),
        rtk_std_lat_m=_in(number(xmp.find("drone-dji", "RtkStdLat")), 0.0, 1000.0),
        rtk_std_hgt_m=_in(number(xmp.find("drone-dji", "RtkStdHgt")), 0.0, 1000.0),
        dewarp=_dewarp(xmp.find("drone-dji", "DewarpData")),
        dewarp_applied=number(xmp.find("drone-dji", "DewarpFlag")) == 1.0,
        sensor=_sensor(tags, model, focal_mm, focal_35, sensor_w, sensor_h, warnings),
        warnings=tuple(warnings),
    )
