"""EXIF orientation: the eight flips/rotations between stored and displayed pixels.

Frame pixel coordinates are continuous: (0, 0) is the top-left corner of the
top-left pixel and (width, height) the bottom-right corner of the last one, in
the *displayed* (oriented) image.
"""

from __future__ import annotations

import numpy as np


def swaps_axes(orientation: int) -> bool:
    return orientation >= 5


def displayed_size(raw_width: int, raw_height: int, orientation: int) -> tuple[int, int]:
    return (raw_height, raw_width) if swaps_axes(orientation) else (raw_width, raw_height)


def apply(raw: np.ndarray, orientation: int) -> np.ndarray:
    """Stored (H, W, ...) pixels -> displayed pixels (a view where possible)."""
    match orientation:
        case 2:
            return raw[:, ::-1]
        case 3:
            return raw[::-1, ::-1]
        case 4:
            return raw[::-1]
        case 5:
            return raw.swapaxes(0, 1)
        case 6:
            return np.rot90(raw, -1)
        case 7:
            return raw.swapaxes(0, 1)[::-1, ::-1]
        case 8:
            return np.rot90(raw, 1)
        case _:
            return raw


def to_raw(
    xs: np.ndarray, ys: np.ndarray, orientation: int, raw_width: int, raw_height: int
) -> tuple[np.ndarray, np.ndarray]:
    """Displayed continuous pixel coordinates -> stored ones."""
    w, h = raw_width, raw_height
    match orientation:
        case 2:
            return w - xs, ys
        case 3:
            return w - xs, h - ys
        case 4:
            return xs, h - ys
        case 5:
            return ys, xs
        case 6:
            return ys, h - xs
        case 7:
            return w - ys, h - xs
        case 8:
            return w - ys, xs
        case _:
            return xs, ys


def from_raw(
    xs: np.ndarray, ys: np.ndarray, orientation: int, raw_width: int, raw_height: int
) -> tuple[np.ndarray, np.ndarray]:
    """Stored continuous pixel coordinates -> displayed ones (inverse of :func:`to_raw`)."""
    w, h = raw_width, raw_height
    match orientation:
        case 2:
            return w - xs, ys
        case 3:
            return w - xs, h - ys
        case 4:
            return xs, h - ys
        case 5:
            return ys, xs
        case 6:
            return h - ys, xs
        case 7:
            return h - ys, w - xs
        case 8:
            return ys, w - xs
        case _:
            return xs, ys
