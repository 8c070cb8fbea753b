"""Drone frames in: opening photos and orthomosaics, their metadata, and pixel -> ground."""

from sartriage.frames.frame import Frame, open_frame
from sartriage.frames.georef import Georef, NotGeoreferenced
from sartriage.frames.metadata import Attitude, FrameMeta, SensorSize
from sartriage.frames.stored import georef_from_record, georef_record, ground_of_pixels, stored_georef
from sartriage.frames.window import Window

__all__ = [
    "Attitude",
    "Frame",
    "FrameMeta",
    "Georef",
    "NotGeoreferenced",
    "SensorSize",
    "Window",
    "georef_from_record",
    "georef_record",
    "ground_of_pixels",
    "open_frame",
    "stored_georef",
]
