"""Sensor sizes of common drone cameras, for photos whose EXIF cannot give one.

Keyed by the EXIF ``Model`` string. A model that records several cameras (visible and thermal
on the same payload) lists each with its native image width, and the entry whose width matches
the photo is taken. Sizes are the active area in millimetres, from the makers' specifications
(thermal cores: pixel pitch x resolution).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SensorSpec:
    width_mm: float
    height_mm: float
    native_width_px: int
    description: str


_ONE_INCH = (13.2, 8.8)
_ONE_OVER_2_3 = (6.17, 4.55)
_ONE_OVER_2 = (6.4, 4.8)
_FOUR_THIRDS = (17.3, 13.0)
_THERMAL_640_12UM = (7.68, 6.144)
_THERMAL_640_17UM = (10.88, 8.704)

SENSORS: dict[str, tuple[SensorSpec, ...]] = {
    "FC220": (SensorSpec(*_ONE_OVER_2_3, 4000, "DJI Mavic Pro, 1/2.3-inch"),),
    "FC330": (SensorSpec(*_ONE_OVER_2_3, 4000, "DJI Phantom 4, 1/2.3-inch"),),
    "FC2103": (SensorSpec(*_ONE_OVER_2_3, 4056, "DJI Mavic Air, 1/2.3-inch"),),
    "FC2403": (SensorSpec(*_ONE_OVER_2_3, 4056, "DJI Mavic 2 Enterprise Dual, 1/2.3-inch"),),
    "FC7303": (SensorSpec(6.17, 4.63, 4000, "DJI Mavic Mini, 1/2.3-inch"),),
    "FC3170": (SensorSpec(*_ONE_OVER_2, 8000, "DJI Mavic Air 2, 1/2-inch"),),
    "FC3411": (SensorSpec(*_ONE_INCH, 5472, "DJI Air 2S, 1-inch"),),
    "FC3582": (SensorSpec(9.7, 7.3, 4032, "DJI Mini 3 Pro, 1/1.3-inch"),),
    "FC6310": (SensorSpec(*_ONE_INCH, 5472, "DJI Phantom 4 Pro, 1-inch"),),
    "FC6310R": (SensorSpec(*_ONE_INCH, 5472, "DJI Phantom 4 RTK, 1-inch"),),
    "FC6310S": (SensorSpec(*_ONE_INCH, 5472, "DJI Phantom 4 Pro V2, 1-inch"),),
    "FC6510": (SensorSpec(*_ONE_INCH, 5472, "DJI Zenmuse X4S, 1-inch"),),
    "FC6520": (SensorSpec(*_FOUR_THIRDS, 5280, "DJI Zenmuse X5S, Micro Four Thirds"),),
    "L1D-20C": (SensorSpec(*_ONE_INCH, 5472, "DJI Mavic 2 Pro (Hasselblad), 1-inch"),),
    "XT2": (SensorSpec(*_THERMAL_640_17UM, 640, "DJI Zenmuse XT2 thermal, 640x512 at 17 um"),),
    "XT": (SensorSpec(*_THERMAL_640_17UM, 640, "DJI Zenmuse XT thermal, 640x512 at 17 um"),),
    "ZH20T": (
        SensorSpec(*_ONE_OVER_2_3, 4056, "DJI Zenmuse H20T wide, 1/2.3-inch"),
        SensorSpec(7.53, 5.64, 5184, "DJI Zenmuse H20T zoom, 1/1.7-inch"),
        SensorSpec(*_THERMAL_640_12UM, 640, "DJI Zenmuse H20T thermal, 640x512 at 12 um"),
    ),
    "M3E": (SensorSpec(*_FOUR_THIRDS, 5280, "DJI Mavic 3 Enterprise, 4/3-inch"),),
    "M3T": (
        SensorSpec(*_ONE_OVER_2, 8000, "DJI Mavic 3 Thermal wide, 1/2-inch"),
        SensorSpec(*_ONE_OVER_2, 4000, "DJI Mavic 3 Thermal wide (12 MP), 1/2-inch"),
        SensorSpec(*_THERMAL_640_12UM, 640, "DJI Mavic 3 Thermal IR, 640x512 at 12 um"),
    ),
    "M30T": (
        SensorSpec(*_ONE_OVER_2, 8000, "DJI M30T wide, 1/2-inch"),
        SensorSpec(*_ONE_OVER_2, 4000, "DJI M30T wide (12 MP), 1/2-inch"),
        SensorSpec(*_THERMAL_640_12UM, 640, "DJI M30T thermal, 640x512 at 12 um"),
    ),
    "MAVIC2-ENTERPRISE-ADVANCED": (
        SensorSpec(*_ONE_OVER_2, 8000, "DJI Mavic 2 Enterprise Advanced visible, 1/2-inch"),
        SensorSpec(*_THERMAL_640_12UM, 640, "DJI Mavic 2 Enterprise Advanced thermal, 640x512 at 12 um"),
    ),
}


def lookup(model: str | None, image_width_px: int | None) -> SensorSpec | None:
    """The sensor for ``model`` (any case); of several, the one whose native width is ``image_width_px``."""
    if not model:
        return None
    specs = SENSORS.get(model.strip().upper())
    if not specs:
        return None
    if len(specs) == 1 or image_width_px is None:
        return specs[0]
    return min(specs, key=lambda spec: abs(spec.native_width_px - image_width_px))
