"""Tile pictures for volunteers: the tile itself and a wider context view, as JPEG bytes.

Pixels are cut from the frame with :func:`sartriage.frames.open_frame` on
request and kept in a bounded in-memory cache; a few decoded frames are kept
open too, since neighbouring tiles of one photo are usually asked for together.
The bytes are re-encoded by OpenCV, so no EXIF (GPS, camera, time) survives,
and nothing here returns a path: the server sends bytes only.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import warnings
from collections import OrderedDict
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
from sqlalchemy import select

from sartriage.errors import FrameError, NotFound
from sartriage.frames import Frame, Window, open_frame
from sartriage.store import Store, schema
from sartriage.store.photos import photo_to_read

log = logging.getLogger(__name__)

View = Literal["tile", "context"]
JPEG_QUALITY = 88
CONTEXT_FACTOR = 3  # the context view spans this many tile widths around the tile
CONTEXT_OUTLINE_RGB = (255, 210, 0)


@dataclass(frozen=True)
class TileImageSettings:
    max_tile_px: int = 1024  # longest side of a served tile
    max_context_px: int = 1280
    cache_bytes: int = 128 * 1024 * 1024
    open_frames: int = 3  # decoded frames kept for their neighbouring tiles


class _LRU:
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.items: OrderedDict[tuple[str, int, str], bytes] = OrderedDict()
        self.size = 0

    def get(self, key: tuple[str, int, str]) -> bytes | None:
        data = self.items.get(key)
        if data is not None:
            self.items.move_to_end(key)
        return data

    def put(self, key: tuple[str, int, str], data: bytes) -> None:
        if key in self.items:
            return
        self.items[key] = data
        self.size += len(data)
        while self.size > self.capacity and self.items:
            _, dropped = self.items.popitem(last=False)
            self.size -= len(dropped)


class TileImages:
    """JPEG bytes of tiles and honeypots by id. Thread-safe; one per server process."""

    def __init__(self, store: Store, settings: TileImageSettings | None = None) -> None:
        self.store = store
        self.settings = settings or TileImageSettings()
        self._cache = _LRU(self.settings.cache_bytes)
        self._lock = threading.Lock()
        self._making: dict[tuple[str, int, str], threading.Lock] = {}
        self._frames: OrderedDict[Path, tuple[Frame, ExitStack]] = OrderedDict()
        self._frames_lock = threading.Lock()

    def tile(self, tile_id: int, view: View = "tile") -> bytes:
        return self._cached(("tile", tile_id, view), lambda: self._cut(tile_id, view))

    def honeypot(self, honeypot_id: int, view: View = "tile") -> bytes:
        return self._cached(("honeypot", honeypot_id, view), lambda: self._honeypot(honeypot_id, view))

    def _cached(self, key: tuple[str, int, str], make: Callable[[], bytes]) -> bytes:
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                return hit
            # one cut per picture even when the page and the warming thread ask at once
            making = self._making.setdefault(key, threading.Lock())
        with making:
            with self._lock:
                hit = self._cache.get(key)
            if hit is not None:
                return hit
            try:
                data = make()
                with self._lock:
                    self._cache.put(key, data)
            finally:
                with self._lock:
                    self._making.pop(key, None)
        return data

    def _honeypot(self, honeypot_id: int, view: View) -> bytes:
        h = schema.honeypots
        with self.store.connect() as conn:
            row = conn.execute(
                select(h.c.tile_id, h.c.image_jpeg, h.c.context_jpeg).where(h.c.id == honeypot_id)
            ).first()
        if row is None:
            raise NotFound(f"no known tile {honeypot_id}")
        if row.tile_id is not None:
            return self.tile(row.tile_id, view)
        data = row.context_jpeg if view == "context" and row.context_jpeg else row.image_jpeg
        # an imported picture keeps whatever its maker left in it (EXIF GPS, camera, comments) and its own
        # encoder's bytes: decode and encode it as a mission tile, so nothing tells it apart
        pixels = decode_jpeg(bytes(data))
        longest = self.settings.max_context_px if view == "context" else self.settings.max_tile_px
        size = shrunk_size(pixels.shape[1], pixels.shape[0], longest)
        return encode_jpeg(cv2.resize(pixels, size, interpolation=cv2.INTER_AREA) if size else pixels)

    def for_volunteer(self, data: bytes, volunteer_id: int) -> bytes:
        """``data`` as one volunteer gets it: the same picture, bytes of their own. Every picture is
        served so, so a known tile cannot be recognised by its bytes across colluding volunteers."""
        pixels = decode_jpeg(data)
        digest = hashlib.blake2b(data[:4096] + volunteer_id.to_bytes(8, "big"), digest_size=8).digest()
        rng = np.random.default_rng(int.from_bytes(digest, "big"))
        # one grey level up or down on a few hundred pixels: invisible, and changes the encoded bytes
        count = min(pixels.shape[0] * pixels.shape[1], 256)
        rows = rng.integers(0, pixels.shape[0], count)
        cols = rng.integers(0, pixels.shape[1], count)
        nudge = rng.choice(np.array([-1, 1], np.int16), count)
        touched = pixels[rows, cols].astype(np.int16) + nudge[:, None]
        pixels[rows, cols] = np.clip(touched, 0, 255).astype(np.uint8)
        return encode_jpeg(pixels)

    def _cut(self, tile_id: int, view: View) -> bytes:
        t, f = schema.tiles, schema.frames
        with self.store.connect() as conn:
            row = conn.execute(
                select(t.c.x, t.c.y, t.c.w, t.c.h, f.c.path, f.c.content_hash)
                .select_from(t.join(f, f.c.id == t.c.frame_id))
                .where(t.c.id == tile_id)
            ).first()
        if row is None:
            raise NotFound(f"no tile {tile_id}")
        frame = self._frame(photo_to_read(self.store, row.path, row.content_hash))
        tile = inside_frame(Window(row.x, row.y, row.w, row.h), frame.width, frame.height)
        if view == "tile":
            pixels = frame.read(window=tile, out_size=shrunk_size(tile.w, tile.h, self.settings.max_tile_px))
            return encode_jpeg(pixels)
        return encode_jpeg(context_view(frame, tile, self.settings.max_context_px))

    def _frame(self, path: Path) -> Frame:
        with self._frames_lock:
            held = self._frames.get(path)
            if held is not None:
                self._frames.move_to_end(path)
                return held[0]
            stack = ExitStack()
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter(
                        "ignore"
                    )  # georeferencing notes are the scan's business, not a tile's
                    frame = stack.enter_context(open_frame(path))
            except FrameError:
                stack.close()
                raise
            self._frames[path] = (frame, stack)
            while len(self._frames) > self.settings.open_frames:
                _, (_, old) = self._frames.popitem(last=False)
                old.close()
            return frame

    def close(self) -> None:
        with self._frames_lock:
            for _, stack in self._frames.values():
                stack.close()
            self._frames.clear()


def shrunk_size(w: int, h: int, longest: int) -> tuple[int, int] | None:
    """An output size no longer than ``longest`` on either side, or None to keep the size."""
    if max(w, h) <= longest:
        return None
    scale = longest / max(w, h)
    return max(1, round(w * scale)), max(1, round(h * scale))


def inside_frame(window: Window, width: int, height: int) -> Window:
    """The part of ``window`` inside a ``width`` x ``height`` frame (a scan's edge tile may overhang)."""
    x, y = min(window.x, width - 1), min(window.y, height - 1)
    return Window(x, y, max(1, min(window.w, width - x)), max(1, min(window.h, height - y)))


def context_view(frame: Frame, tile: Window, longest: int) -> np.ndarray:
    """The tile's surroundings, the tile outlined just outside its edge so nothing inside is hidden."""
    cx, cy = tile.x + tile.w / 2, tile.y + tile.h / 2
    cw, ch = min(frame.width, tile.w * CONTEXT_FACTOR), min(frame.height, tile.h * CONTEXT_FACTOR)
    x0 = int(min(max(0, cx - cw / 2), frame.width - cw))
    y0 = int(min(max(0, cy - ch / 2), frame.height - ch))
    around = Window(x0, y0, int(cw), int(ch))
    size = shrunk_size(around.w, around.h, longest)
    pixels = np.ascontiguousarray(frame.read(window=around, out_size=size))
    scale = pixels.shape[1] / around.w
    thick = max(2, round(pixels.shape[1] / 300))
    left, top = (tile.x - x0) * scale - thick, (tile.y - y0) * scale - thick
    right, bottom = (tile.x + tile.w - x0) * scale + thick, (tile.y + tile.h - y0) * scale + thick
    cv2.rectangle(
        pixels, (int(left), int(top)), (int(right), int(bottom)), CONTEXT_OUTLINE_RGB, thickness=thick
    )
    return pixels


def decode_jpeg(data: bytes) -> np.ndarray:
    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if bgr is None:
        raise FrameError("a stored picture could not be decoded")
    return np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))


def encode_jpeg(rgb: np.ndarray, quality: int = JPEG_QUALITY) -> bytes:
    ok, data = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise FrameError("a tile could not be encoded as JPEG")
    return data.tobytes()
