"""The hit being decided as the photo has it: a crop around its box at the photo's own resolution,
enlarged by whole pixels only (crisp, never smoothed), with nothing drawn over it."""

from __future__ import annotations

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QPixmap
from PyQt6.QtWidgets import QLabel, QVBoxLayout, QWidget

from sartriage.hits import Hit
from ui import imagery
from ui.tasks import LatestOnly

SIDE = 192  # screen pixels
MIN_CROP = 48  # frame pixels: a 10 px person still shows some ground around them
BOX_MARGIN = 2  # the crop spans this many times the box


def crop_side(hit: Hit) -> int:
    """Frame pixels the close-up shows: twice the box, at least MIN_CROP; the screen side when the hit
    has no box (a volunteer candidate: the tile's centre)."""
    if hit.box is None:
        return SIDE
    x1, y1, x2, y2 = hit.box
    return max(MIN_CROP, round(BOX_MARGIN * max(x2 - x1, y2 - y1)))


def enlarged(pixmap: QPixmap) -> QPixmap:
    """The crop scaled by the largest whole factor that fits SIDE (nearest pixel), or shrunk to fit."""
    longest = max(pixmap.width(), pixmap.height(), 1)
    factor = SIDE // longest
    if factor >= 1:
        return pixmap.scaled(
            pixmap.width() * factor,
            pixmap.height() * factor,
            transformMode=Qt.TransformationMode.FastTransformation,
        )
    return pixmap.scaled(
        SIDE, SIDE, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
    )


class CloseUp(QWidget):
    loaded = pyqtSignal(object)  # (x, y, w, h): the frame pixels shown

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.picture = QLabel()
        self.picture.setFixedSize(SIDE, SIDE)
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setStyleSheet("background: #222")
        self.caption = QLabel("")
        self.caption.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.picture, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.caption)
        self._shown: tuple[int, tuple[float, ...] | None] | None = None
        self._request = LatestOnly()

    def show_hit(self, hit: Hit | None) -> None:
        key = None if hit is None else (hit.id, hit.box)
        if key == self._shown:  # the panel is refreshed often; read the crop once per hit
            return
        self._shown = key
        if hit is None:
            self.picture.clear()
            self.caption.setText("")
            return
        w, h = hit.frame_size
        rect = imagery.context_rect(hit.x, hit.y, (w or 0, h or 0), crop_side(hit))
        path = hit.photo
        self._request.run(
            self,
            lambda: imagery.read_window(path, rect, longest=max(rect[2], rect[3])),
            self._ready,
            lambda message: self.caption.setText(f"Cannot show the photo: {message}"),
        )

    def _ready(self, pic: imagery.Picture) -> None:
        pixmap = enlarged(QPixmap.fromImage(pic.image))
        self.picture.setPixmap(pixmap)
        _x, _y, w, h = pic.rect
        factor = pixmap.width() / max(w, 1)
        scale = f"shown {factor:.0f}×" if factor >= 1 else "shrunk to fit"
        self.caption.setText(f"Close-up: {w}×{h} pixels of the photo, {scale}, nothing drawn over it")
        self.loaded.emit(pic.rect)
