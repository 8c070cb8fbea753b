"""``sartriage info FILE``: what sartriage reads from a photo or orthomosaic, and where a pixel lies."""

from __future__ import annotations

import argparse
import json
import math
import warnings
from pathlib import Path
from typing import Any

from sartriage.cli.commands import add_command
from sartriage.errors import SartriageError
from sartriage.frames import Frame, NotGeoreferenced, open_frame


def _pixel(text: str) -> tuple[float, float]:
    try:
        x, y = (float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not X,Y (two numbers, e.g. 1775,1640)") from None
    if not (math.isfinite(x) and math.isfinite(y)):
        raise argparse.ArgumentTypeError(f"{text!r} is not X,Y (two finite numbers)")
    return x, y


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = add_command(
        subparsers,
        "info",
        description="Show what sartriage reads from a drone photo or orthomosaic: camera and sensor "
        "(and where the sensor size came from), GPS, heights, attitude, ground sample distance, footprint "
        "corners, and the ground position with error radius of a pixel (default: the image centre).",
    )
    parser.add_argument("file", type=Path, metavar="FILE", help="a JPEG/TIFF photo or a GeoTIFF orthomosaic")
    parser.add_argument(
        "--pixel", type=_pixel, metavar="X,Y", help="frame pixel to place on the ground (default: the centre)"
    )
    parser.add_argument(
        "--dem", type=Path, metavar="DEM.tif", help="terrain GeoTIFF to intersect camera rays with"
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print JSON with the stable keys lon, lat (the camera's GPS position; an orthomosaic's centre), "
        "relative_altitude_m, gsd_m, footprint, pixel {lon, lat, error_radius_m}, warnings (and more)",
    )
    parser.set_defaults(func=run)


def _number(value: float | None, digits: int) -> float | None:
    return round(float(value), digits) if value is not None and math.isfinite(value) else None


def describe(frame: Frame, pixel: tuple[float, float]) -> dict[str, Any]:
    """Everything ``info`` shows, as JSON-safe values."""
    meta = frame.meta
    georef = frame.georef
    x, y = pixel
    plon, plat, radius = (float(v[0]) for v in georef.pixel_to_ground([x], [y]))
    corners_x = [0.0, frame.width, frame.width, 0.0]
    corners_y = [0.0, 0.0, frame.height, frame.height]
    clon, clat, cradius = georef.pixel_to_ground(corners_x, corners_y)
    lon, lat = meta.lon, meta.lat
    if frame.kind == "orthomosaic":
        lon, lat, _ = (float(v[0]) for v in georef.pixel_to_ground([frame.width / 2], [frame.height / 2]))
    intrinsics = getattr(georef, "intrinsics", None)
    sensor = meta.sensor
    attitude = meta.attitude
    return {
        "file": str(frame.path),
        "kind": frame.kind,
        "width": frame.width,
        "height": frame.height,
        "georef": georef.kind,
        "not_georeferenced_reason": georef.reason if isinstance(georef, NotGeoreferenced) else None,
        "captured_at": meta.captured_at,
        "time_zone_known": meta.capture_time()[0] is not None,
        "camera": {
            "make": meta.make,
            "model": meta.model,
            "vendor": meta.vendor,
            "drone_model": meta.drone_model,
            "focal_length_mm": meta.focal_length_mm,
            "focal_length_35mm": meta.focal_length_35mm,
            "sensor_width_mm": _number(sensor.width_mm, 3) if sensor else None,
            "sensor_height_mm": _number(sensor.height_mm, 3) if sensor else None,
            "sensor_source": sensor.source if sensor else None,
            "sensor_detail": sensor.detail if sensor else None,
            "focal_px": _number(intrinsics.fx, 2) if intrinsics else None,
            "intrinsics_source": intrinsics.source if intrinsics else None,
        },
        "lon": _number(lon, 8),
        "lat": _number(lat, 8),
        "gps_altitude_m": meta.gps_altitude_m,
        "relative_altitude_m": meta.relative_altitude_m,
        "absolute_altitude_m": meta.absolute_altitude_m,
        "attitude": None
        if attitude is None
        else {
            "yaw_deg": attitude.yaw_deg,
            "pitch_deg": attitude.pitch_deg,
            "roll_deg": attitude.roll_deg,
            "source": attitude.source,
        },
        "gsd_m": _number(frame.gsd_m, 5),
        "footprint": [[_number(a, 8), _number(b, 8)] for a, b in georef.footprint()],
        "corners": [
            {"x": cx, "y": cy, "lon": _number(a, 8), "lat": _number(b, 8), "error_radius_m": _number(r, 2)}
            for cx, cy, a, b, r in zip(corners_x, corners_y, clon, clat, cradius, strict=True)
        ],
        "pixel": {
            "x": x,
            "y": y,
            "lon": _number(plon, 8),
            "lat": _number(plat, 8),
            "error_radius_m": _number(radius, 2),
        },
        "error_budget": georef.budget.to_dict() if hasattr(georef, "budget") else None,
        "warnings": list(frame.warnings),
    }


def _fmt(value: float | None, unit: str = "", digits: int = 1) -> str:
    return "unknown" if value is None else f"{value:.{digits}f}{unit}"


def _place(lon: float | None, lat: float | None, radius: float | None) -> str:
    if lon is None or lat is None:
        return "not on the ground"
    return f"{lat:.7f}, {lon:.7f} ± {_fmt(radius, ' m')}"


def render(info: dict[str, Any]) -> list[str]:
    """The human-readable report of :func:`describe`'s values."""
    camera = info["camera"]
    lines = [f"{info['file']}: {info['kind']}, {info['width']}x{info['height']} px"]
    make, model = camera["make"] or "", camera["model"] or ""
    name = (
        model if model.lower().startswith(make.lower()) else f"{make} {model}"
    ).strip() or "unknown camera"
    if camera["drone_model"]:
        name += f" on {camera['drone_model']}"
    when = info["captured_at"]
    if when and info["time_zone_known"]:
        when = f"{when} (its time zone from the photo: an offset tag or GPS time)"
    elif when:
        when = f"{when.replace('T', ' ')} by the camera's clock (time zone unknown)"
    lines.append(f"  camera:      {name}; captured {when or 'at an unknown time'}")
    if camera["sensor_source"]:
        lines.append(
            f"  sensor:      {camera['sensor_width_mm']} x {camera['sensor_height_mm']} mm, from "
            f"{camera['sensor_source']} ({camera['sensor_detail']})"
        )
    else:
        lines.append("  sensor:      size unknown")
    focal = f"{_fmt(camera['focal_length_mm'], ' mm', 2)}"
    if camera["focal_length_35mm"]:
        focal += f" ({camera['focal_length_35mm']:g} mm in 35 mm terms)"
    if camera["focal_px"]:
        focal += f"; {camera['focal_px']:.1f} px on this image, from {camera['intrinsics_source']}"
    lines.append(f"  focal:       {focal}")
    lines.append(
        "  GPS:         "
        + ("none" if info["lat"] is None else f"{info['lat']:.7f}, {info['lon']:.7f}")
        + f"; GPS altitude {_fmt(info['gps_altitude_m'], ' m')}"
    )
    lines.append(
        f"  heights:     {_fmt(info['relative_altitude_m'], ' m')} above take-off (RelativeAltitude), "
        f"absolute {_fmt(info['absolute_altitude_m'], ' m')}"
    )
    attitude = info["attitude"]
    lines.append(
        "  attitude:    none"
        if attitude is None
        else f"  attitude:    yaw {attitude['yaw_deg']:.1f}°, pitch {attitude['pitch_deg']:.1f}°, "
        f"roll {attitude['roll_deg']:.1f}° ({attitude['source']})"
    )
    georef = info["georef"]
    reason = info["not_georeferenced_reason"]
    lines.append(f"  georef:      {georef}" + (f" ({reason})" if reason else ""))
    gsd = info["gsd_m"]
    lines.append(f"  GSD:         {'unknown' if gsd is None else f'{gsd * 100:.2f} cm/px at the centre'}")
    for corner in info["corners"]:
        label = f"({corner['x']:g}, {corner['y']:g})"
        lines.append(f"  corner {label:<14} {_place(corner['lon'], corner['lat'], corner['error_radius_m'])}")
    pixel = info["pixel"]
    label = f"({pixel['x']:g}, {pixel['y']:g})"
    lines.append(f"  pixel  {label:<14} {_place(pixel['lon'], pixel['lat'], pixel['error_radius_m'])}")
    lines.extend(f"  warning:     {line}" for line in info["warnings"])
    return lines


def run(args: argparse.Namespace) -> int:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the frame's warnings are part of the report
        with open_frame(args.file, dem=args.dem) as frame:
            pixel = args.pixel or (frame.width / 2, frame.height / 2)
            if not (0 <= pixel[0] <= frame.width and 0 <= pixel[1] <= frame.height):
                raise SartriageError(
                    f"{args.file}: pixel {pixel[0]:g},{pixel[1]:g} is outside the "
                    f"{frame.width}x{frame.height} frame; give --pixel X,Y inside it"
                )
            info = describe(frame, pixel)
    if args.json:
        print(json.dumps(info, indent=2, allow_nan=False))
    else:
        print("\n".join(render(info)))
    return 0
