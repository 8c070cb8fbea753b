"""Pixels for exports: a hit's tile with its box drawn, a wider context crop, JPEG bytes.

Frames are opened through :func:`sartriage.frames.open_frame`; a frame that has
moved or cannot be read raises :class:`FrameError`, which each export catches
per hit so one missing file never stops it.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from sartriage.errors import ExportError
from sartriage.frames import Window, open_frame
from sartriage.hits import Hit

BOX_RGB = (255, 40, 40)
TILE_RGB = (255, 200, 0)


@dataclass(frozen=True)
class HitImages:
    """RGB uint8 images of one view: its tile with the box, and the context around it."""

    tile: np.ndarray
    context: np.ndarray


def window_around(cx: float, cy: float, w: int, h: int, width: int, height: int) -> Window:
    """A ``w`` x ``h`` window centred on (cx, cy), moved (and shrunk only if needed) to fit the frame."""
    w, h = min(w, width), min(h, height)
    x = round(min(max(cx - w / 2, 0), width - w))
    y = round(min(max(cy - h / 2, 0), height - h))
    return Window(x, y, w, h)


def _mark(image: np.ndarray, hit: Hit, origin: tuple[int, int], scale: float, thickness: int) -> None:
    ox, oy = origin
    if hit.box is not None:
        x1, y1, x2, y2 = ((v - o) * scale for v, o in zip(hit.box, (ox, oy, ox, oy), strict=True))
        pad = 3 * thickness
        cv2.rectangle(
            image,
            (int(x1) - pad, int(y1) - pad),
            (int(x2) + pad, int(y2) + pad),
            BOX_RGB,
            thickness,
            cv2.LINE_AA,
        )
    else:
        radius = max(int(12 * thickness), 6)
        centre = (int((hit.x - ox) * scale), int((hit.y - oy) * scale))
        cv2.circle(image, centre, radius, BOX_RGB, thickness, cv2.LINE_AA)


def hit_images(hit: Hit, *, context_factor: float = 4.0, max_side: int = 1200) -> HitImages:
    """Cut the tile and a context crop ``context_factor`` times the tile's size around the hit."""
    with open_frame(hit.photo) as frame:
        tx, ty, tw, th = hit.tile
        tile_window = Window(tx, ty, min(tw, frame.width - tx), min(th, frame.height - ty))
        tile = np.ascontiguousarray(frame.read(tile_window))
        cw, ch = int(tw * context_factor), int(th * context_factor)
        ctx_window = window_around(hit.x, hit.y, cw, ch, frame.width, frame.height)
        scale = min(1.0, max_side / max(ctx_window.w, ctx_window.h))
        out_size = (max(1, round(ctx_window.w * scale)), max(1, round(ctx_window.h * scale)))
        context = np.ascontiguousarray(frame.read(ctx_window, out_size=out_size if scale < 1 else None))
    thin = max(1, round(max(tile.shape[:2]) / 240))
    _mark(tile, hit, (tx, ty), 1.0, thin)
    cv2.rectangle(
        context,
        (int((tx - ctx_window.x) * scale), int((ty - ctx_window.y) * scale)),
        (int((tx + tw - ctx_window.x) * scale), int((ty + th - ctx_window.y) * scale)),
        TILE_RGB,
        max(1, round(max(context.shape[:2]) / 400)),
        cv2.LINE_AA,
    )
    _mark(context, hit, (ctx_window.x, ctx_window.y), scale, max(1, round(max(context.shape[:2]) / 400)))
    return HitImages(tile=tile, context=context)


def jpeg_bytes(rgb: np.ndarray, quality: int = 90) -> bytes:
    ok, buffer = cv2.imencode(
        ".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality]
    )
    if not ok:
        raise ExportError(f"could not encode a {rgb.shape[1]}x{rgb.shape[0]} image as JPEG")
    return bytes(buffer.tobytes())
