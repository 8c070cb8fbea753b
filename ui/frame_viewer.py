"""The full photo with zoom and pan, and the scan's tiles and detections drawn over it.

Scene coordinates are frame pixels. A downsampled picture of the whole frame
arrives first; when the view is zoomed past its resolution, the visible part is
read at full resolution on a worker thread and laid over it.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PyQt6.QtCore import QPointF, QRectF, Qt, QTimer, pyqtSignal
from PyQt6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QMouseEvent,
    QPen,
    QPixmap,
    QResizeEvent,
    QTransform,
    QWheelEvent,
)
from PyQt6.QtWidgets import (
    QCheckBox,
    QGraphicsEllipseItem,
    QGraphicsItemGroup,
    QGraphicsPixmapItem,
    QGraphicsRectItem,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from sartriage.mission_reads import FrameOverlays
from ui import imagery, style
from ui.pannable_view import PannableView
from ui.tasks import run_in_background

log = logging.getLogger(__name__)

LAYERS = ("cleared", "review", "flagged", "detections")
MARK_PX = 40.0  # the box a click marks, in frame pixels (a person seen from above at a typical height)
CLICK_PX = 6  # a press and release closer than this on screen is a click
LAYER_LABELS = {
    "cleared": "Cleared tiles",
    "review": "Review tiles",
    "flagged": "Flagged tiles",
    "detections": "Detections",
}
ZOOM_STEP = 1.25
LABEL_MIN_SCORE = 0.2  # fainter detections are drawn dimmed and without a score, to keep the frame readable
LABEL_GAP_PX = 4
NO_FRAME = "Pick a candidate or a frame on the map to see it here."
MAX_ZOOM = 16.0  # screen pixels per frame pixel


class FrameView(PannableView):
    """Wheel zooms about the cursor, drag pans; overlays by layer."""

    loaded = pyqtSignal(str)  # frame path, once its preview is on screen
    failed = pyqtSignal(str)
    detail_loaded = pyqtSignal(object)  # (x, y, w, h) read at full resolution
    person_marked = pyqtSignal(object)  # (x1, y1, x2, y2) in frame pixels, drawn while marking

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setBackgroundBrush(QBrush(QColor(30, 30, 30)))
        self._path: Path | None = None
        self._frame_size = (0, 0)
        self._preview: QGraphicsPixmapItem | None = None
        self._preview_scale = 1.0  # frame pixels per preview pixel
        self._detail: QGraphicsPixmapItem | None = None
        self._detail_rect: tuple[int, int, int, int] | None = None
        self._layers: dict[str, QGraphicsItemGroup] = {}
        self._visible = dict.fromkeys(LAYERS, True)
        self._visible["cleared"] = False
        self._marker: QGraphicsEllipseItem | None = None
        self._pending_focus: QRectF | None = None
        self._focus: QRectF | None = None
        self._token = 0
        self._detail_timer = QTimer(self)
        self._detail_timer.setSingleShot(True)
        self._detail_timer.setInterval(120)
        self._detail_timer.timeout.connect(self._request_detail)
        self._marking = False
        self._press: QPointF | None = None

    # -- what is shown --------------------------------------------------------------------------------
    @property
    def path(self) -> Path | None:
        return self._path

    def clear(self) -> None:
        """Show nothing (another mission was opened); a frame still loading is dropped when it arrives."""
        self.scene().clear()
        self._layers = {}
        self._preview = self._detail = self._marker = None
        self._detail_rect = self._focus = self._pending_focus = None
        self._path = None
        self._token += 1

    def show_frame(self, overlays: FrameOverlays, focus: QRectF | None = None) -> None:
        same = overlays.path == self._path
        self._path = overlays.path
        self._frame_size = (overlays.width, overlays.height)
        self._draw_overlays(overlays)
        if same and self._preview is not None:
            if focus is not None:
                self.focus_on(focus)
            return
        scene = self.scene()
        for item in (self._preview, self._detail):
            if item is not None:
                scene.removeItem(item)
        self._preview = self._detail = None
        self._detail_rect = None
        self._token += 1
        token = self._token
        if overlays.width and overlays.height:
            self.setSceneRect(QRectF(0, 0, overlays.width, overlays.height))
        self._pending_focus = focus
        run_in_background(
            self,
            lambda: imagery.read_preview(overlays.path),
            lambda pic: self._preview_ready(token, pic),
            self._load_failed,
        )

    def _load_failed(self, message: str) -> None:
        self.failed.emit(message)

    def _preview_ready(self, token: int, pic: imagery.Picture) -> None:
        if token != self._token:
            return
        fw, fh = pic.frame_size
        self._frame_size = (fw, fh)
        self.setSceneRect(QRectF(0, 0, fw, fh))
        item = QGraphicsPixmapItem(QPixmap.fromImage(pic.image))
        item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self._preview_scale = fw / max(pic.image.width(), 1)
        item.setScale(self._preview_scale)
        item.setZValue(-2)
        self.scene().addItem(item)
        self._preview = item
        if self._pending_focus is not None:
            self.focus_on(self._pending_focus)
        else:
            self._focus = None
            self.fitInView(self.sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)
        self._pending_focus = None
        self.loaded.emit(str(self._path))
        self._detail_timer.start()

    def set_layer_visible(self, layer: str, visible: bool) -> None:
        self._visible[layer] = visible
        if layer in self._layers:
            self._layers[layer].setVisible(visible)

    def layer_visible(self, layer: str) -> bool:
        return self._visible[layer]

    def layer_items(self, layer: str) -> int:
        group = self._layers.get(layer)
        return len(group.childItems()) if group is not None else 0

    def _draw_overlays(self, overlays: FrameOverlays) -> None:
        scene = self.scene()
        for group in self._layers.values():
            scene.removeItem(group)
        self._layers = {}
        for state in ("cleared", "review", "flagged"):
            group = QGraphicsItemGroup()
            colour = style.TILE_COLOURS[state]
            pen = QPen(colour, 2 if state != "cleared" else 1)
            pen.setCosmetic(True)
            for (x, y, w, h), tile_state in zip(overlays.tile_xywh, overlays.tile_state, strict=True):
                if tile_state == state:  # outlined, never filled: nothing is drawn over a person
                    rect = QGraphicsRectItem(float(x), float(y), float(w), float(h))
                    rect.setPen(pen)
                    group.addToGroup(rect)
            self._add_layer(state, group, z=1)
        group = QGraphicsItemGroup()
        pen = QPen(style.DETECTION, 2)
        pen.setCosmetic(True)
        faint = QColor(style.DETECTION)
        faint.setAlpha(110)
        faint_pen = QPen(faint, 1)
        faint_pen.setCosmetic(True)
        font = QFont()
        font.setPointSize(9)
        for (x1, y1, x2, y2), score, clue in zip(
            overlays.det_xyxy, overlays.det_score, overlays.det_clue, strict=True
        ):
            box = QGraphicsRectItem(QRectF(QPointF(x1, y1), QPointF(x2, y2)))
            box.setPen(pen if score >= LABEL_MIN_SCORE else faint_pen)
            group.addToGroup(box)
            if score < LABEL_MIN_SCORE:
                continue
            label = QGraphicsSimpleTextItem(f"{'clue' if clue else 'person'} {score:.2f}")
            label.setToolTip("the detector's score: how sure it is, from 0 to 1")
            label.setBrush(QBrush(style.DETECTION))
            label.setFont(font)
            # beside the box's top right corner, a few screen pixels out, whatever the zoom
            label.setPos(x2, y1)
            label.setFlag(label.GraphicsItemFlag.ItemIgnoresTransformations)
            label.setTransform(QTransform.fromTranslate(LABEL_GAP_PX, 0))
            group.addToGroup(label)
        self._add_layer("detections", group, z=2)

    def _add_layer(self, name: str, group: QGraphicsItemGroup, z: float) -> None:
        group.setZValue(z)
        group.setVisible(self._visible[name])
        self.scene().addItem(group)
        self._layers[name] = group

    def mark(self, x: float, y: float, radius_px: float = 40.0) -> None:
        """A ring around a point of interest (the candidate being looked at)."""
        if self._marker is None:
            self._marker = QGraphicsEllipseItem()
            pen = QPen(style.CANDIDATE, 3)
            pen.setCosmetic(True)
            self._marker.setPen(pen)
            self._marker.setZValue(5)
            self.scene().addItem(self._marker)
        self._marker.setRect(QRectF(x - radius_px, y - radius_px, 2 * radius_px, 2 * radius_px))
        self._marker.setVisible(True)

    def focus_on(self, rect: QRectF) -> None:
        self._focus = rect  # kept while the person has not zoomed or panned, so a resize keeps it in view
        margin = max(rect.width(), rect.height()) * 0.5
        self.fitInView(rect.adjusted(-margin, -margin, margin, margin), Qt.AspectRatioMode.KeepAspectRatio)
        self._detail_timer.start()

    # -- zoom and full-resolution detail ------------------------------------------------------------------
    def zoom(self) -> float:
        return self.transform().m11()

    def zoom_by(self, factor: float) -> None:
        current = self.zoom()
        fit = self._fit_zoom()
        target = min(max(current * factor, fit * 0.5), MAX_ZOOM)
        if target != current:
            self.scale(target / current, target / current)
            self._detail_timer.start()

    def _fit_zoom(self) -> float:
        fw, fh = self._frame_size
        if not fw or not fh:
            return 1.0
        view = self.viewport().rect()
        return min(view.width() / fw, view.height() / fh)

    def wheelEvent(self, event: QWheelEvent | None) -> None:
        if event is None:
            return
        steps = event.angleDelta().y() / 120.0
        if steps:
            self._focus = None
            self.zoom_by(ZOOM_STEP**steps)
        event.accept()

    def mousePressEvent(self, event: QMouseEvent | None) -> None:
        self._focus = None
        if self._marking and event is not None and event.button() == Qt.MouseButton.LeftButton:
            self._press = self.mapToScene(event.position().toPoint())
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent | None) -> None:
        super().mouseReleaseEvent(event)
        if not self._marking or self._press is None or event is None or self._preview is None:
            return
        end = self.mapToScene(event.position().toPoint())
        start, self._press = self._press, None
        box = QRectF(start, end).normalized()
        if max(box.width(), box.height()) * self.zoom() < CLICK_PX:  # a click, not a drag: a box around it
            box = QRectF(end.x() - MARK_PX / 2, end.y() - MARK_PX / 2, MARK_PX, MARK_PX)
        box = box.intersected(self.sceneRect())
        if box.isEmpty():
            return
        self.person_marked.emit((box.left(), box.top(), box.right(), box.bottom()))

    def set_marking(self, on: bool) -> None:
        """While marking, a drag draws a person's box (a click: a box around the point) instead of panning."""
        self._marking = on
        self._press = None
        self.setDragMode(
            QGraphicsView.DragMode.RubberBandDrag if on else QGraphicsView.DragMode.ScrollHandDrag
        )
        self.viewport().setCursor(Qt.CursorShape.CrossCursor if on else Qt.CursorShape.OpenHandCursor)

    @property
    def marking(self) -> bool:
        return self._marking

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        super().scrollContentsBy(dx, dy)
        self._detail_timer.start()

    def resizeEvent(self, event: QResizeEvent | None) -> None:
        super().resizeEvent(event)
        if self._focus is not None:
            self.focus_on(self._focus)
        elif (
            self._preview is not None
            and self._pending_focus is None
            and self.zoom() <= self._fit_zoom() * 1.01
        ):
            self.fitInView(self.sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)
        self._detail_timer.start()

    def visible_frame_rect(self) -> QRectF:
        return self.mapToScene(self.viewport().rect()).boundingRect().intersected(self.sceneRect())

    def _request_detail(self) -> None:
        if self._path is None or self._preview is None:
            return
        # full resolution only once the preview's pixels are visibly magnified
        if self.zoom() * self._preview_scale <= 1.25:
            return
        visible = self.visible_frame_rect()
        if visible.isEmpty():
            return
        want = visible.adjusted(
            -visible.width() * 0.25, -visible.height() * 0.25, visible.width() * 0.25, visible.height() * 0.25
        ).intersected(self.sceneRect())
        if self._detail_rect is not None:
            have = QRectF(*self._detail_rect)
            if have.contains(visible):
                return
        rect = (int(want.x()), int(want.y()), int(want.width()) + 1, int(want.height()) + 1)
        token, path = self._token, self._path
        run_in_background(
            self,
            lambda: imagery.read_window(path, rect),
            lambda pic: self._detail_ready(token, pic),
            self._load_failed,
        )

    def _detail_ready(self, token: int, pic: imagery.Picture) -> None:
        if token != self._token:
            return
        if self._detail is not None:
            self.scene().removeItem(self._detail)
        x, y, w, _h = pic.rect
        item = QGraphicsPixmapItem(QPixmap.fromImage(pic.image))
        item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        item.setPos(x, y)
        item.setScale(w / max(pic.image.width(), 1))
        item.setZValue(-1)
        self.scene().addItem(item)
        self._detail = item
        self._detail_rect = pic.rect
        self.detail_loaded.emit(pic.rect)


class FramePanel(QWidget):
    """The frame view with its layer toggles and a caption."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = FrameView(self)
        self.caption = QLabel(NO_FRAME)
        self.toggles: dict[str, QCheckBox] = {}
        # the caption may be long (a failure reason): it wraps instead of widening the window
        self.caption.setWordWrap(True)
        self.caption.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Show:"))
        for layer in LAYERS:
            box = QCheckBox(LAYER_LABELS[layer])
            box.setChecked(self.view.layer_visible(layer))
            box.toggled.connect(lambda on, name=layer: self.view.set_layer_visible(name, on))
            bar.addWidget(box)
            self.toggles[layer] = box
        bar.addStretch(1)
        self.mark_button = QPushButton("Mark a person here…")
        self.mark_button.setCheckable(True)
        self.mark_button.setShortcut("M")
        self.mark_button.setToolTip(
            "A person the detector and volunteers missed (M): drag a box around them, or click on them. "
            "It becomes a confirmed hit with a ground position, exported to ground teams and kept as "
            "training data."
        )
        self.mark_button.toggled.connect(self.view.set_marking)
        self.view.person_marked.connect(lambda _box: self.mark_button.setChecked(False))
        top = QHBoxLayout()
        top.addWidget(self.caption, 1)
        top.addWidget(self.mark_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)
        self.view.failed.connect(lambda msg: self.caption.setText(f"Cannot show this frame: {msg}"))

    def clear(self) -> None:
        self.caption.setText(NO_FRAME)
        self.mark_button.setChecked(False)
        self.view.clear()

    def show_frame(self, overlays: FrameOverlays, focus: QRectF | None = None, caption: str = "") -> None:
        self.caption.setText(caption or overlays.path.name)
        self.view.show_frame(overlays, focus)
