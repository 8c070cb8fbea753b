"""Crafted files that once stopped a scan, made in a folder next to real frames.

Each builder writes one file and returns what the scan must make of it: ``done`` (the pixels are fine;
the georeferencing may be refused with a reason) or ``failed`` with words its reason must hold.
Shared by ``tests/scan/test_hostile_files.py`` and ``benchmarks/hostile_files.py``.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import rasterio
from affine import Affine

XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
LOCAL_CS = 'LOCAL_CS["site grid",LOCAL_DATUM["local",0],UNIT["metre",1],AXIS["E",EAST],AXIS["N",NORTH]]'


@dataclass(frozen=True)
class Expected:
    status: str  # done | failed
    words: str = ""  # in the frame's error (failed) or georeferencing note (done)


def _texture(size: int = 320, seed: int = 0) -> np.ndarray:
    """A noisy RGB picture (real photos never compress to nothing)."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 255, (size, size, 3), dtype=np.uint8)


def _jpeg(rgb: np.ndarray) -> bytes:
    ok, buffer = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    return buffer.tobytes()


def _with_app1(jpeg: bytes, payload: bytes) -> bytes:
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


def nested_xmp(folder: Path) -> Expected:
    """3,000 nested elements in the XMP packet (a RecursionError in a recursive walk)."""
    depth = 3000
    packet = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description xmlns:a="urn:a">' + "<a:a>" * depth + "x" + "</a:a>" * depth
        + "</rdf:Description></rdf:RDF></x:xmpmeta>"
    )  # fmt: skip
    (folder / "nested_xmp.jpg").write_bytes(_with_app1(_jpeg(_texture(seed=1)), XMP_HEADER + packet.encode()))
    return Expected("done")


def _geotiff(path: Path, crs: str | None, transform: Affine) -> None:
    bands = np.moveaxis(_texture(256, seed=len(path.name)), -1, 0)
    profile = {"driver": "GTiff", "width": 256, "height": 256, "count": 3, "dtype": "uint8"}
    with rasterio.open(path, "w", crs=crs, transform=transform, **profile) as dst:
        dst.write(bands)


def local_cs(folder: Path) -> Expected:
    """An engineering (LOCAL_CS) CRS, as a local-survey orthomosaic has: PROJ cannot reach WGS84."""
    _geotiff(folder / "local_survey.tif", LOCAL_CS, Affine(0.05, 0, 1000, 0, -0.05, 2000))
    return Expected("done", "WGS84")


def huge_origin(folder: Path) -> Expected:
    """A UTM GeoTIFF whose origin is 1e300 m."""
    _geotiff(folder / "huge_origin.tif", "EPSG:32633", Affine(0.05, 0, 1e300, 0, -0.05, 1e300))
    return Expected("done", "WGS84")


def off_the_earth(folder: Path) -> Expected:
    """A WGS84 GeoTIFF placed at longitude 5290, latitude -5025."""
    _geotiff(folder / "off_the_earth.tif", "EPSG:4326", Affine(1e-6, 0, 5290, 0, -1e-6, -5025))
    return Expected("done", "outside the Earth")


def zero_pixel(folder: Path) -> Expected:
    """A transform whose pixels have no size (GSD 0)."""
    _geotiff(folder / "zero_pixel.tif", "EPSG:32633", Affine(0.0, 0, 500000, 0, 0.0, 5000000))
    return Expected("done", "pixel size")


def nan_transform(folder: Path) -> Expected:
    """A transform of NaNs (footprints once stored as ``[Infinity, …]``)."""
    nan = float("nan")
    _geotiff(folder / "nan_transform.tif", "EPSG:32633", Affine(nan, 0, nan, 0, nan, nan))
    return Expected("done", "")


def giant_tiff(folder: Path) -> Expected:
    """A small TIFF claiming 200,000 x 200,000 pixels and no georeferencing (hours of tiles)."""
    path = folder / "giant.tif"
    profile = {"driver": "GTiff", "width": 200_000, "height": 200_000, "count": 1, "dtype": "uint8",
               "tiled": True, "compress": "deflate", "sparse_ok": True}  # fmt: skip
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(np.zeros((256, 256), np.uint8), 1, window=rasterio.windows.Window(0, 0, 256, 256))
    return Expected("failed", "pixels")


def jpeg_bomb(folder: Path) -> Expected:
    """A small JPEG whose header claims 14,000 x 14,000 pixels."""
    jpeg = bytearray(_jpeg(_texture(16)))
    at = jpeg.find(b"\xff\xc0")
    jpeg[at + 5 : at + 9] = struct.pack(">HH", 14_000, 14_000)
    (folder / "bomb.jpg").write_bytes(bytes(jpeg))
    return Expected("failed", "pixels")


def scan_bomb(folder: Path) -> Expected:
    """A progressive JPEG padded with 3,000 copies of one scan: each is another pass over the picture."""
    ok, buffer = cv2.imencode(".jpg", _texture(), [cv2.IMWRITE_JPEG_PROGRESSIVE, 1])
    assert ok
    jpeg = buffer.tobytes()
    starts = [i for i in range(len(jpeg) - 1) if jpeg[i : i + 2] == b"\xff\xda"]
    ends = [*starts[1:], jpeg.rfind(b"\xff\xd9")]
    smallest = min((jpeg[a:b] for a, b in zip(starts, ends, strict=True)), key=len)
    (folder / "scans.jpg").write_bytes(jpeg[: ends[-1]] + smallest * 3000 + b"\xff\xd9")
    return Expected("failed", "scans")


BUILDERS: dict[str, Callable[[Path], Expected]] = {
    "nested_xmp.jpg": nested_xmp,
    "local_survey.tif": local_cs,
    "huge_origin.tif": huge_origin,
    "off_the_earth.tif": off_the_earth,
    "zero_pixel.tif": zero_pixel,
    "nan_transform.tif": nan_transform,
    "giant.tif": giant_tiff,
    "bomb.jpg": jpeg_bomb,
    "scans.jpg": scan_bomb,
}


def write_hostile_set(folder: Path) -> dict[str, Expected]:
    """Every hostile file in ``folder``; file name -> what the scan must make of it."""
    folder.mkdir(parents=True, exist_ok=True)
    return {name: build(folder) for name, build in BUILDERS.items()}
