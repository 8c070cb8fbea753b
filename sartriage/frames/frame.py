"""``open_frame()``: one entry point for drone photos (JPEG, TIFF, R-JPEG) and GeoTIFF orthomosaics."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from os import PathLike
from pathlib import Path

import numpy as np
import rasterio
from rasterio.errors import NotGeoreferencedWarning as RioNotGeoreferencedWarning
from rasterio.errors import RasterioIOError

from sartriage.errors import FrameError, MetadataWarning, NotGeoreferencedWarning
from sartriage.frames.georef import Georef, NotGeoreferenced
from sartriage.frames.imagery import Imagery, imagery_of
from sartriage.frames.metadata import FrameMeta, read_meta
from sartriage.frames.pixels import PhotoPixels, PixelSource, RasterPixels
from sartriage.frames.window import Window

log = logging.getLogger(__name__)


class _QuietUndecodableTags(logging.Filter):
    """GDAL warns about every binary MakerNote it cannot decode as text; those tags are not used."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Failed to decode metadata item")


logging.getLogger("rasterio._base").addFilter(_QuietUndecodableTags())

# Photos are decoded whole: refuse headers claiming more than this (a decompression bomb, or a
# raster that must be tiled as a GeoTIFF). 200 MP covers today's largest aerial cameras.
MAX_PHOTO_PIXELS = 200_000_000
# A real photo of terrain never compresses below this (a flat grey 8x8 block costs about a byte): a header
# claiming far more pixels than the bytes can hold is a bomb, refused before decoding.
MIN_PHOTO_BYTES_PER_PIXEL = 1 / 5000
# Rasters are read window by window; anything above this (about 224,000 px square) is not a real mosaic.
MAX_RASTER_PIXELS = 50_000_000_000
# GDAL drivers of files decoded whole by OpenCV, and of rasters read window by window.
_DECODED_WHOLE = {"JPEG", "PNG", "BMP", "WEBP"}
_WINDOWED = {"GTiff", "COG", "JP2OpenJPEG"}
# The GDAL driver for each file signature sartriage reads: only that driver may open the file, so a VRT
# (or any other format GDAL knows) named .jpg never makes GDAL open other files of this machine.
_SIGNATURES = (
    (b"\xff\xd8", "JPEG"),
    (b"\x89PNG", "PNG"),
    (b"BM", "BMP"),
    (b"II*\x00", "GTiff"),
    (b"MM\x00*", "GTiff"),
    (b"II+\x00", "GTiff"),  # BigTIFF
    (b"MM\x00+", "GTiff"),
    (b"\x00\x00\x00\x0cjP  ", "JP2OpenJPEG"),
    (b"\xffO\xffQ", "JP2OpenJPEG"),  # a bare JPEG 2000 codestream
)
# One read may return at most this many pixels (about 750 MB of RGB): read mosaics by window or with out_size.
MAX_READ_PIXELS = 250_000_000
# A progressive JPEG from a camera or an editor has about ten scans; each one more is another pass over the
# whole picture, so a file padded with thousands decodes hundreds of times slower. Refused before decoding.
MAX_JPEG_SCANS = 100
_JPEG_SOS = b"\xff\xda"
_JPEG_SOI = b"\xff\xd8"
_JPEG_EOI = b"\xff\xd9"


class Frame:
    """An open photo or orthomosaic. Use inside ``with open_frame(path) as frame:``."""

    def __init__(
        self,
        path: Path,
        meta: FrameMeta,
        pixels: PixelSource,
        georef: Georef | NotGeoreferenced,
        gsd_m: float | None,
        kind: str,
        warnings: tuple[str, ...],
    ) -> None:
        self.path = path
        self.meta = meta
        self.width = pixels.width
        self.height = pixels.height
        self.georef = georef
        self.gsd_m = gsd_m
        self.kind = kind
        self.warnings = warnings
        self._pixels = pixels

    def __repr__(self) -> str:
        return f"<Frame {self.path.name} {self.width}x{self.height} {self.kind} georef={self.georef.kind}>"

    def read(self, window: Window | None = None, out_size: tuple[int, int] | None = None) -> np.ndarray:
        """HxWx3 uint8 RGB of ``window`` (default: the whole frame), resampled to ``out_size=(w, h)``."""
        window = window or Window(0, 0, self.width, self.height)
        if not window.fits(self.width, self.height):
            raise ValueError(f"{window} reaches outside {self.path.name} ({self.width}x{self.height})")
        if out_size is not None and (out_size[0] <= 0 or out_size[1] <= 0):
            raise ValueError(f"out_size {out_size} must be positive (width, height)")
        out_w, out_h = out_size or (window.w, window.h)
        if out_w * out_h > MAX_READ_PIXELS:
            raise ValueError(
                f"reading {out_w}x{out_h} px of {self.path.name} at once is too much memory; "
                "read it window by window or pass a smaller out_size"
            )
        return self._pixels.read(window, (int(out_size[0]), int(out_size[1])) if out_size else None)

    @cached_property
    def imagery(self) -> Imagery:
        """Thermal or RGB, and why (see ``sartriage.frames.imagery``)."""
        return imagery_of(self, self.path.stem, self.meta.make)

    def close(self) -> None:
        self._pixels.close()


def _first_line(exc: BaseException) -> str:
    text = str(exc)
    return text.splitlines()[0] if text else "no detail"


def _is_georeferenced(dataset: rasterio.io.DatasetReader) -> bool:
    return dataset.crs is not None and not dataset.transform.is_identity


def _check_jpeg(path: Path, data: bytes) -> None:
    if not data.startswith(_JPEG_SOI):
        raise FrameError(f"{path}: not a JPEG file despite its contents being read as one; is it an image?")
    # Entropy-coded data never holds FF D9, so a missing end marker near the end means the file was cut short.
    if _JPEG_EOI not in data[-4096:].rstrip(b"\x00"):
        raise FrameError(f"{path}: JPEG is truncated (no end-of-image marker); copy it off the card again")
    scans = data.count(_JPEG_SOS)  # entropy-coded data stuffs FF as FF 00: only markers read FF DA
    if scans > MAX_JPEG_SCANS:
        raise FrameError(
            f"{path}: a JPEG of {scans:,} scans (a camera writes at most about ten; a damaged or hostile "
            "file that would take minutes to decode); refusing to decode it"
        )


def _driver_for(path: Path) -> str:
    try:
        with path.open("rb") as stream:
            head = stream.read(16)
    except OSError as exc:
        raise FrameError(f"{path}: cannot be read ({exc.strerror}); check its permissions") from exc
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    for signature, driver in _SIGNATURES:
        if head.startswith(signature):
            return driver
    raise FrameError(
        f"{path}: not an image sartriage can read (not a JPEG, PNG, TIFF or JPEG 2000 file by its first "
        "bytes); is it a photo or a GeoTIFF?"
    )


def _open_dataset(path: Path) -> rasterio.io.DatasetReader:
    driver = _driver_for(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RioNotGeoreferencedWarning)
            return rasterio.open(path, driver=driver)
    except RasterioIOError as exc:
        raise FrameError(
            f"{path}: not an image sartriage can read ({_first_line(exc)}); is it a photo or a GeoTIFF?"
        ) from exc


def _tags(dataset: rasterio.io.DatasetReader) -> tuple[dict[str, str], str | None]:
    tags = dict(dataset.tags())
    namespaces = dataset.tag_namespaces() if hasattr(dataset, "tag_namespaces") else []
    if "EXIF" in namespaces:
        tags.update(dataset.tags(ns="EXIF"))
    xmp = dataset.tags(ns="xml:XMP").get("xml:XMP") if "xml:XMP" in namespaces else None
    return tags, xmp


@contextmanager
def open_frame(path: str | PathLike[str], dem: str | PathLike[str] | None = None) -> Iterator[Frame]:
    """Open a drone photo or orthomosaic; ``dem`` is an optional terrain GeoTIFF for photos.

    Raises :class:`FrameError` (one line naming the file) when it cannot be read; unreliable
    metadata is reported in ``frame.warnings`` and as :class:`MetadataWarning`.
    """
    path = Path(path)
    if not path.is_file():
        raise FrameError(f"{path}: no such file; check the path")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise FrameError(f"{path}: cannot be read ({exc.strerror}); check its permissions") from exc
    if size == 0:
        raise FrameError(f"{path}: empty file (0 bytes); copy it off the card again")

    dataset = _open_dataset(path)
    try:
        frame = _build(path, dataset, dem)
    except BaseException as exc:
        dataset.close()
        if isinstance(exc, FrameError) or not isinstance(exc, Exception):
            raise
        # no file may crash the caller: whatever GDAL, PROJ or a parser raised becomes this file's error
        log.debug("opening %s failed", path, exc_info=True)
        raise FrameError(f"{path}: cannot be read ({type(exc).__name__}: {_first_line(exc)})") from exc
    try:
        yield frame
    finally:
        frame.close()


def _build(path: Path, dataset: rasterio.io.DatasetReader, dem: str | PathLike[str] | None) -> Frame:
    from sartriage.frames.geolocate import georeference

    if dataset.driver not in _DECODED_WHOLE | _WINDOWED:
        raise FrameError(
            f"{path}: a {dataset.driver} file, not a photo (JPEG, PNG, TIFF) or a GeoTIFF orthomosaic"
        )
    raw_w, raw_h = dataset.width, dataset.height
    whole = dataset.driver in _DECODED_WHOLE
    # only a georeferenced raster may be mosaic-sized; a TIFF without position is a camera's photo
    limit = MAX_RASTER_PIXELS if not whole and _is_georeferenced(dataset) else MAX_PHOTO_PIXELS
    if raw_w <= 0 or raw_h <= 0 or raw_w * raw_h > limit:
        raise FrameError(
            f"{path}: header claims {raw_w}x{raw_h} pixels, over the {limit / 1e6:,.0f} MP limit "
            f"(a damaged or hostile file); refusing to decode it"
        )
    size = path.stat().st_size
    if whole and size < raw_w * raw_h * MIN_PHOTO_BYTES_PER_PIXEL:
        raise FrameError(
            f"{path}: header claims {raw_w}x{raw_h} pixels but the file holds only {size:,} bytes "
            "(a damaged or hostile file); refusing to decode it; copy it off the card again"
        )
    try:
        tags, xmp = _tags(dataset)
        meta = read_meta(tags, xmp, raw_w, raw_h)
    except Exception as exc:  # odd metadata must never stop a scan: keep the pixels
        log.warning("%s: metadata not read", path, exc_info=True)
        meta = FrameMeta(raw_w, raw_h, warnings=(f"metadata could not be read ({exc}); ignored",))
    raster = dataset if _is_georeferenced(dataset) else None
    pixels: PixelSource
    if whole:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise FrameError(f"{path}: cannot be read ({exc.strerror})") from exc
        if dataset.driver == "JPEG":
            _check_jpeg(path, data)
        pixels = PhotoPixels(path, data, raw_w, raw_h, meta.orientation)
    else:
        # an orthomosaic's affine transform addresses its stored pixels: no EXIF turn applies
        pixels = RasterPixels(dataset, 1 if raster is not None else meta.orientation)

    try:
        georef, gsd_m, georef_warnings = georeference(path, meta, pixels.width, pixels.height, raster, dem)
    except FrameError:
        raise
    except Exception as exc:  # a position no check foresaw costs the frame its positions, not its pixels
        log.warning("%s: georeferencing failed", path, exc_info=True)
        georef, gsd_m, georef_warnings = NotGeoreferenced(f"georeferencing failed ({exc})"), None, ()
    if whole:
        dataset.close()
    frame_warnings = (*meta.warnings, *georef_warnings)
    for line in frame_warnings:
        warnings.warn(f"{path.name}: {line}", MetadataWarning, stacklevel=4)
    if isinstance(georef, NotGeoreferenced):
        warnings.warn(
            f"{path.name}: not georeferenced: {georef.reason}", NotGeoreferencedWarning, stacklevel=4
        )
    return Frame(
        path=path,
        meta=meta,
        pixels=pixels,
        georef=georef,
        gsd_m=gsd_m,
        kind="orthomosaic" if raster is not None else "photo",
        warnings=frame_warnings,
    )
