"""What kind of imagery a frame is: a thermal frame or an ordinary colour (RGB) photo.

A frame is thermal when its camera wrote it as one (DJI names radiometric frames ``*_R.JPG`` (XT2, XT S)
and thermal frames ``*_T.JPG`` (H20T, M2EA, M30T, M3T); FLIR cameras write their make), or when its
pixels have no colour: a single band, or three equal ones (grey palettes, as HIT-UAV's and the XT2's
frames are). A colour palette on a camera that writes none of these is read as RGB, and the COCO model's
card, not fit for thermal, then still keeps such frames from being cleared only if the grey test finds them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from sartriage.frames.window import Window

RGB, THERMAL = "rgb", "thermal"
_THERMAL_NAME = re.compile(r"_(R|T)$", re.IGNORECASE)
_THERMAL_MAKES = ("flir",)
SAMPLE_SIDE = 256  # the centre window whose channels are compared
GREY_TOLERANCE = 3  # grey levels two channels of a grey pixel may differ by (JPEG chroma rounding)
GREY_SHARE = 0.99


class _Frame(Protocol):
    @property
    def width(self) -> int: ...

    @property
    def height(self) -> int: ...

    def read(self, window: Window | None = None, out_size: tuple[int, int] | None = None) -> np.ndarray: ...


@dataclass(frozen=True)
class Imagery:
    kind: str  # rgb | thermal
    reason: str


def is_grey(rgb: np.ndarray) -> bool:
    """Whether (nearly) every pixel of an HxWx3 picture has three equal channels."""
    pixels = rgb.reshape(-1, 3).astype(np.int16)
    spread = pixels.max(axis=1) - pixels.min(axis=1)
    return bool((spread <= GREY_TOLERANCE).mean() >= GREY_SHARE)


def imagery_of(frame: _Frame, stem: str, make: str | None) -> Imagery:
    """The kind of imagery of an open frame whose file is named ``stem`` (no suffix) and camera ``make``."""
    if make and any(m in make.lower() for m in _THERMAL_MAKES):
        return Imagery(THERMAL, f"a {make} thermal camera")
    if make and "dji" in make.lower() and _THERMAL_NAME.search(stem):
        return Imagery(THERMAL, f"a DJI thermal frame (named {stem})")
    side_w, side_h = min(SAMPLE_SIDE, frame.width), min(SAMPLE_SIDE, frame.height)
    window = Window((frame.width - side_w) // 2, (frame.height - side_h) // 2, side_w, side_h)
    if is_grey(frame.read(window)):
        return Imagery(THERMAL, "grey pixels (a single-channel or grey-palette thermal frame)")
    return Imagery(RGB, "colour pixels")
