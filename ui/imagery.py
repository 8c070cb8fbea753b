"""Pixels for the screen: frames read through the core's reader, turned into QImages.

Everything here runs on worker threads (QImage, unlike QPixmap, may be built
off the GUI thread). A photo is decoded once and kept (the last few only), so
zooming into it reads slices of memory instead of decoding 20 MP again; a large
raster (an orthomosaic) is always read window by window.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PyQt6.QtGui import QImage

from sartriage.frames import Window, open_frame

PREVIEW_LONG_SIDE = 2048
DETAIL_MAX_SIDE = 4096
KEEP_DECODED_PIXELS = 40_000_000  # frames up to this size are kept decoded
KEEP_FRAMES = 3


@dataclass(frozen=True)
class Picture:
    """An image of part of a frame: ``rect`` (x, y, w, h) in frame pixels shown by ``image``."""

    image: QImage
    rect: tuple[int, int, int, int]
    frame_size: tuple[int, int]


def to_qimage(rgb: np.ndarray) -> QImage:
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    h, w = rgb.shape[:2]
    return QImage(rgb.tobytes(), w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def fitted_size(w: int, h: int, longest: int) -> tuple[int, int]:
    factor = min(1.0, longest / max(w, h, 1))
    return max(1, round(w * factor)), max(1, round(h * factor))


def _shrink(rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    if (rgb.shape[1], rgb.shape[0]) == size:
        return rgb
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)


class _Decoded:
    """The last few photos, decoded in full."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._frames: OrderedDict[Path, np.ndarray] = OrderedDict()

    def get(self, path: Path) -> np.ndarray | None:
        with self._lock:
            found = self._frames.get(path)
            if found is not None:
                self._frames.move_to_end(path)
            return found

    def put(self, path: Path, rgb: np.ndarray) -> None:
        with self._lock:
            self._frames[path] = rgb
            while len(self._frames) > KEEP_FRAMES:
                self._frames.popitem(last=False)


_decoded = _Decoded()


def _read(path: Path, rect: tuple[int, int, int, int] | None, longest: int) -> Picture:
    full = _decoded.get(path)
    if full is not None:
        fh, fw = full.shape[:2]
        x0, y0, x1, y1 = _clip(path, rect, fw, fh)
        rgb = _shrink(full[y0:y1, x0:x1], fitted_size(x1 - x0, y1 - y0, longest))
        return Picture(to_qimage(rgb), (x0, y0, x1 - x0, y1 - y0), (fw, fh))
    with open_frame(path) as frame:
        fw, fh = frame.width, frame.height
        x0, y0, x1, y1 = _clip(path, rect, fw, fh)
        if fw * fh <= KEEP_DECODED_PIXELS:
            full = frame.read()
            _decoded.put(path, full)
            rgb = _shrink(full[y0:y1, x0:x1], fitted_size(x1 - x0, y1 - y0, longest))
        else:
            window = Window(x0, y0, x1 - x0, y1 - y0)
            rgb = frame.read(window=window, out_size=fitted_size(x1 - x0, y1 - y0, longest))
    return Picture(to_qimage(rgb), (x0, y0, x1 - x0, y1 - y0), (fw, fh))


def _clip(path: Path, rect: tuple[int, int, int, int] | None, fw: int, fh: int) -> tuple[int, int, int, int]:
    if rect is None:
        return 0, 0, fw, fh
    x, y, w, h = rect
    x0, y0 = max(0, int(x)), max(0, int(y))
    x1, y1 = min(fw, int(np.ceil(x + w))), min(fh, int(np.ceil(y + h)))
    if x1 <= x0 or y1 <= y0:
        raise ValueError(f"{path}: the window {rect} lies outside the {fw}x{fh} frame")
    return x0, y0, x1, y1


def read_preview(path: Path, longest: int = PREVIEW_LONG_SIDE) -> Picture:
    """The whole frame, downsampled so its long side is at most ``longest``."""
    return _read(path, None, longest)


def read_window(path: Path, rect: tuple[int, int, int, int], longest: int = DETAIL_MAX_SIDE) -> Picture:
    """Part of the frame at full resolution (shrunk only past ``longest``), clipped to the frame."""
    return _read(path, rect, longest)


def context_rect(x: float, y: float, frame_size: tuple[int, int], side: int) -> tuple[int, int, int, int]:
    """A square of ``side`` frame pixels centred on (x, y), shifted to stay inside the frame."""
    fw, fh = frame_size
    side_w = min(side, fw) if fw else side
    side_h = min(side, fh) if fh else side
    x0 = int(np.clip(x - side_w / 2, 0, max(0, fw - side_w)))
    y0 = int(np.clip(y - side_h / 2, 0, max(0, fh - side_h)))
    return x0, y0, side_w, side_h
