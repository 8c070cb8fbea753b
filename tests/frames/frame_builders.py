"""Small synthetic images for the frames tests (real drone files come from ../shared)."""

from __future__ import annotations

import struct
from pathlib import Path

import cv2
import numpy as np
import rasterio
from affine import Affine


def jpeg_bytes(rgb: np.ndarray, quality: int = 95) -> bytes:
    ok, buffer = cv2.imencode(
        ".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality]
    )
    assert ok
    return buffer.tobytes()


def with_exif_orientation(jpeg: bytes, orientation: int) -> bytes:
    """The JPEG with an APP1 EXIF segment holding only the Orientation tag (0x0112)."""
    ifd = b"\x00\x01" + struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0) + b"\x00\x00\x00\x00"
    exif = b"Exif\x00\x00" + b"MM\x00\x2a\x00\x00\x00\x08" + ifd
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif + jpeg[2:]


def with_claimed_size(jpeg: bytes, width: int, height: int) -> bytes:
    """The JPEG with its baseline frame header (SOF0) claiming another size."""
    at = jpeg.find(b"\xff\xc0")
    assert at > 0
    patched = bytearray(jpeg)
    patched[at + 5 : at + 9] = struct.pack(">HH", height, width)
    return bytes(patched)


def quadrants(width: int = 64, height: int = 48) -> np.ndarray:
    """RGB image whose four quadrants are red, green, blue and white (orientation is easy to see)."""
    rgb = np.zeros((height, width, 3), np.uint8)
    h2, w2 = height // 2, width // 2
    rgb[:h2, :w2] = (255, 0, 0)
    rgb[:h2, w2:] = (0, 255, 0)
    rgb[h2:, :w2] = (0, 0, 255)
    rgb[h2:, w2:] = (255, 255, 255)
    return rgb


def write_tiff(
    path: Path,
    bands: np.ndarray,
    crs: str | None = None,
    transform: Affine | None = None,
    **profile: object,
) -> Path:
    """A (bands, rows, cols) array as a TIFF, georeferenced when ``crs`` is given."""
    count, height, width = bands.shape
    options: dict[str, object] = {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": count,
        "dtype": bands.dtype,
        **profile,
    }
    if crs is not None:
        options.update(crs=crs, transform=transform)
    with rasterio.open(path, "w", **options) as dst:
        dst.write(bands)
    return path
