"""The offline mission map: footprints, flight track, candidates and hits with error circles.

Drawn with QGraphicsScene in a local metric projection (scene units are metres
east and south of the mission's centre), so error circles stay round and the
scale bar is exact. North is up. The lat/lon grid, the scale bar and the north
arrow are painted over the scene in screen space.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from PyQt6.QtCore import QPointF, QRectF, Qt, pyqtSignal
from PyQt6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPen,
    QPixmap,
    QPolygonF,
    QTransform,
    QWheelEvent,
)
from PyQt6.QtWidgets import (
    QAbstractGraphicsShapeItem,
    QGraphicsEllipseItem,
    QGraphicsItem,
    QGraphicsItemGroup,
    QGraphicsPathItem,
    QGraphicsPixmapItem,
    QGraphicsPolygonItem,
    QGraphicsRectItem,
    QGraphicsView,
    QWidget,
)

from sartriage.export.coords import lat_lon_decimal
from sartriage.export.grouping import HitGroup
from sartriage.hits import Hit
from ui import style
from ui.basemap import Basemap
from ui.geo import LocalProjection, grid_values, lie_together, nice_step
from ui.mission_reads import MapFrames
from ui.pannable_view import PannableView

LEGEND = (  # label, colour, drawn as a square (footprints), a dot (hits) or an open square (people)
    ("frame not scanned yet", style.FRAME_PENDING, False),
    ("frame cleared", style.FRAME_CLEARED, False),
    ("tiles for volunteers", style.FRAME_REVIEW, False),
    ("tiles flagged", style.FRAME_FLAGGED, False),
    ("frame unreadable", style.FRAME_FAILED, False),
    ("candidate", style.CANDIDATE, True),
    ("confirmed hit", style.CONFIRMED, True),
    ("found", style.HIT_STATUS_COLOURS["found"], True),
    ("person, several views", style.CONFIRMED, None),
)
HIT_ROLE = 0
FRAME_ROLE = 1
MARKER_PX = 7.0
MIN_ZOOM, MAX_ZOOM = 0.005, 500.0  # screen pixels per metre: a country, a hand's width


def footprint_colour(status: str, tiles: int, review: int, flagged: int) -> QColor:
    """Triage progress of one frame: not yet scanned, failed, clear, waiting for review, flagged."""
    if status == "failed":
        return style.FRAME_FAILED
    if status != "done":
        return style.FRAME_PENDING
    if flagged:
        return style.FRAME_FLAGGED
    if review:
        return style.FRAME_REVIEW
    return style.FRAME_CLEARED


class HitMarker(QGraphicsEllipseItem):
    """A dot of constant screen size; the error circle is a separate item in metres."""

    def __init__(self, colour: QColor, hit_id: int) -> None:
        super().__init__(-MARKER_PX, -MARKER_PX, 2 * MARKER_PX, 2 * MARKER_PX)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setBrush(QBrush(colour))
        self.setPen(QPen(QColor("white"), 2))
        self.setData(HIT_ROLE, hit_id)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setZValue(10)


class GroundMarker(QGraphicsRectItem):
    """Where ground teams are sent for a person seen in several views: a square of constant screen size
    (the views stay dots). It carries the lead view's hit id, so a click picks that hit."""

    def __init__(self, colour: QColor, hit_id: int) -> None:
        side = MARKER_PX * 1.3
        super().__init__(-side, -side, 2 * side, 2 * side)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setBrush(QBrush(QColor("white")))
        pen = QPen(colour, 4)
        self.setPen(pen)
        self.setData(HIT_ROLE, hit_id)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setZValue(11)


class MapView(PannableView):
    hovered = pyqtSignal(float, float)  # lon, lat under the mouse
    hit_clicked = pyqtSignal(int)
    frame_clicked = pyqtSignal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, QGraphicsView.ViewportUpdateMode.FullViewportUpdate)
        self.setMouseTracking(True)
        self.setBackgroundBrush(QBrush(QColor(236, 236, 230)))
        self.projection: LocalProjection | None = None
        self._frames_group: QGraphicsItemGroup | None = None
        self._track: QGraphicsPathItem | None = None
        self._hits_group: QGraphicsItemGroup | None = None
        self._background: list[QGraphicsPixmapItem] = []
        self._markers: dict[int, HitMarker] = {}
        self._ground: dict[int, GroundMarker] = {}  # by the lead view's hit id
        self._fitted = False
        self._press: QPointF | None = None

    # -- data -------------------------------------------------------------------------------------
    def _ensure_projection(self, lons: np.ndarray, lats: np.ndarray) -> LocalProjection | None:
        if self.projection is None:
            ok = np.isfinite(lons) & np.isfinite(lats)
            if ok.any():
                self.projection = LocalProjection.around(lons[ok], lats[ok])
        return self.projection

    def set_frames(self, frames: MapFrames) -> None:
        proj = self._ensure_projection(frames.lon, frames.lat)
        scene = self.scene()
        for old in (self._frames_group, self._track):
            if old is not None:
                scene.removeItem(old)
        self._frames_group = self._track = None
        if proj is None:
            return
        group = QGraphicsItemGroup()
        for i in range(len(frames)):
            colour = footprint_colour(
                str(frames.status[i]),
                int(frames.tiles_total[i]),
                int(frames.tiles_review[i]),
                int(frames.tiles_flagged[i]),
            )
            fill = QColor(colour)
            fill.setAlpha(70)
            pen = QPen(colour.darker(130), 1.5)
            pen.setCosmetic(True)
            ring = frames.footprints[i]
            if ring:
                xs, ys = proj.to_scene(np.array([p[0] for p in ring]), np.array([p[1] for p in ring]))
                item: QAbstractGraphicsShapeItem = QGraphicsPolygonItem(
                    QPolygonF([QPointF(float(x), float(y)) for x, y in zip(xs, ys, strict=True)])
                )
            elif np.isfinite(frames.lon[i]):
                x, y = proj.to_scene(frames.lon[i], frames.lat[i])
                item = QGraphicsEllipseItem(float(x) - 4, float(y) - 4, 8, 8)
            else:
                continue
            item.setPen(pen)
            item.setBrush(QBrush(fill))
            item.setData(FRAME_ROLE, int(frames.ids[i]))
            group.addToGroup(item)
        group.setZValue(0)
        scene.addItem(group)
        self._frames_group = group

        path = QPainterPath()
        ordered = frames.order
        last_flight = None
        for i in ordered:
            if not np.isfinite(frames.lon[i]):
                continue
            x, y = proj.to_scene(frames.lon[i], frames.lat[i])
            point = QPointF(float(x), float(y))
            if frames.flight_ids[i] != last_flight:
                path.moveTo(point)
                last_flight = frames.flight_ids[i]
            else:
                path.lineTo(point)
        track = QGraphicsPathItem(path)
        pen = QPen(style.TRACK, 2, Qt.PenStyle.DashLine)
        pen.setCosmetic(True)
        track.setPen(pen)
        track.setZValue(1)
        scene.addItem(track)
        self._track = track
        self._fit_once()

    def set_hits(self, hits: Sequence[Hit], ground: Sequence[HitGroup] = ()) -> None:
        """A dot and error circle per hit; for each person on the ground seen in several views (``ground``,
        grouped by the core as the exports group them) a square at the one position a team is sent to."""
        located = [h for h in hits if h.lon is not None and h.lat is not None]
        proj = self._ensure_projection(
            np.array([h.lon for h in located], dtype=np.float64),
            np.array([h.lat for h in located], dtype=np.float64),
        )
        scene = self.scene()
        if self._hits_group is not None:
            scene.removeItem(self._hits_group)
        self._hits_group = None
        self._markers = {}
        self._ground = {}
        if proj is None:
            return
        group = QGraphicsItemGroup()
        # confirmed hits drawn last, above candidates
        for hit in sorted(located, key=lambda h: h.status in ("confirmed", "found")):
            colour = style.HIT_STATUS_COLOURS.get(hit.status, style.CANDIDATE)
            x, y = proj.to_scene(float(hit.lon), float(hit.lat))  # type: ignore[arg-type]
            centre = QPointF(float(x), float(y))
            if hit.error_radius_m:
                r = float(hit.error_radius_m)
                circle = QGraphicsEllipseItem(centre.x() - r, centre.y() - r, 2 * r, 2 * r)
                fill = QColor(colour)
                fill.setAlpha(40)
                pen = QPen(colour, 1.5, Qt.PenStyle.DashLine)
                pen.setCosmetic(True)
                circle.setPen(pen)
                circle.setBrush(QBrush(fill))
                circle.setData(HIT_ROLE, hit.id)
                circle.setZValue(5)
                group.addToGroup(circle)
            marker = HitMarker(colour, hit.id)
            marker.setPos(centre)
            marker.setToolTip(
                f"hit {hit.id} · {hit.status} · {hit.confidence:.2f}\n{lat_lon_decimal(hit.lon, hit.lat)}"  # type: ignore[arg-type]
                + (f" ± {hit.error_radius_m:.0f} m" if hit.error_radius_m else "")
            )
            group.addToGroup(marker)
            self._markers[hit.id] = marker
        for person in ground:
            if len(person.views) > 1 and person.located:
                group.addToGroup(self._ground_marker(person, proj))
        group.setZValue(3)
        scene.addItem(group)
        self._hits_group = group
        self._fit_once()

    def _ground_marker(self, person: HitGroup, proj: LocalProjection) -> GroundMarker:
        colour = style.HIT_STATUS_COLOURS.get(person.status, style.CONFIRMED)
        x, y = proj.to_scene(float(person.lon), float(person.lat))  # type: ignore[arg-type]
        marker = GroundMarker(colour, person.id)
        marker.setPos(QPointF(float(x), float(y)))
        views = ", ".join(str(i) for i in person.hit_ids)
        radius = f" ± {person.error_radius_m:.0f} m" if person.error_radius_m is not None else ""
        marker.setToolTip(
            f"{person.name} · {person.status} · one person in {len(person.views)} views (hits {views})\n"
            f"{lat_lon_decimal(person.lon, person.lat)}{radius} · the position ground exports give"  # type: ignore[arg-type]
        )
        self._ground[person.id] = marker
        return marker

    def ground_position(self, lead_hit_id: int) -> QPointF | None:
        """Where the square of the person whose best view is ``lead_hit_id`` is, in viewport pixels."""
        marker = self._ground.get(lead_hit_id)
        return None if marker is None else QPointF(self.mapFromScene(marker.pos()))

    def ground_ids(self) -> list[int]:
        return list(self._ground)

    def marker_position(self, hit_id: int) -> QPointF | None:
        """Where a hit's marker is, in viewport pixels (for tests and keyboard focus)."""
        marker = self._markers.get(hit_id)
        return None if marker is None else QPointF(self.mapFromScene(marker.pos()))

    def hit_ids(self) -> list[int]:
        return list(self._markers)

    def set_background(self, basemap: Basemap | None) -> None:
        scene = self.scene()
        for item in self._background:
            scene.removeItem(item)
        self._background = []
        if basemap is None:
            return
        for piece in basemap.pieces:
            lons = np.array([c[0] for c in piece.corners])
            lats = np.array([c[1] for c in piece.corners])
            proj = self._ensure_projection(lons, lats)
            if proj is None:
                return
            xs, ys = proj.to_scene(lons, lats)
            w, h = piece.image.width(), piece.image.height()
            transform = QTransform(
                (xs[1] - xs[0]) / w,
                (ys[1] - ys[0]) / w,
                (xs[2] - xs[0]) / h,
                (ys[2] - ys[0]) / h,
                xs[0],
                ys[0],
            )
            item = QGraphicsPixmapItem(QPixmap.fromImage(piece.image))
            item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
            item.setTransform(transform)
            item.setZValue(-10)
            scene.addItem(item)
            self._background.append(item)
        self._fit_once()

    def _fit_once(self) -> None:
        """Fit the first data that arrives; later data only widens where one may pan to."""
        rect = self.scene().itemsBoundingRect()
        if rect.isEmpty():
            return
        self.setSceneRect(rect.adjusted(-rect.width(), -rect.height(), rect.width(), rect.height()))
        if not self._fitted:
            self.fit_all()

    def fit_all(self) -> None:
        """Show the mission's frames and hits (a stray GPS fix far from the rest left out), or else all."""
        groups = (self._frames_group, self._hits_group)
        rects = [item.sceneBoundingRect() for g in groups if g is not None for item in g.childItems()]
        centres = np.array([(r.center().x(), r.center().y()) for r in rects]).reshape(-1, 2)
        rect = QRectF()
        for r, keep in zip(rects, lie_together(centres[:, 0], centres[:, 1]), strict=True):
            if keep:
                rect = rect.united(r)
        if rect.isEmpty():
            rect = self.scene().itemsBoundingRect()
        if rect.isEmpty():
            return
        pad = max(rect.width(), rect.height()) * 0.08 + 10
        self.show_area(rect.adjusted(-pad, -pad, pad, pad))
        self._fitted = True

    def reset(self) -> None:
        """A new mission: a new projection, fitted again when its data arrives."""
        self.set_background(None)
        self.projection = None
        self._fitted = False

    def show_area(self, rect: QRectF) -> None:
        """Fit a scene rectangle (metres) in view; north stays up and circles stay round."""
        self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)

    def centre_on_hit(self, hit_id: int) -> None:
        marker = self._markers.get(hit_id)
        if marker is not None:
            self.centerOn(marker.pos())

    # -- interaction -------------------------------------------------------------------------------
    def metres_per_pixel(self) -> float:
        return 1.0 / max(self.transform().m11(), 1e-12)

    def wheelEvent(self, event: QWheelEvent | None) -> None:
        if event is None:
            return
        steps = event.angleDelta().y() / 120.0
        if steps:
            factor = 1.25**steps
            zoom = self.transform().m11() * factor
            # past a limit, a step back towards the useful range is always allowed
            if (factor > 1 and zoom < MAX_ZOOM) or (factor < 1 and zoom > MIN_ZOOM):
                self.scale(factor, factor)
        event.accept()

    def lonlat_at(self, pos: QPointF) -> tuple[float, float] | None:
        if self.projection is None:
            return None
        scene = self.mapToScene(pos.toPoint())
        lon, lat = self.projection.to_lonlat(scene.x(), scene.y())
        return float(lon), float(lat)

    def mouseMoveEvent(self, event: QMouseEvent | None) -> None:
        super().mouseMoveEvent(event)
        if event is None:
            return
        found = self.lonlat_at(event.position())
        if found is not None:
            self.hovered.emit(*found)

    def mousePressEvent(self, event: QMouseEvent | None) -> None:
        if event is not None:
            self._press = event.position()
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent | None) -> None:
        super().mouseReleaseEvent(event)
        if event is None or self._press is None:
            return
        moved = (event.position() - self._press).manhattanLength()
        self._press = None
        if moved > 4:  # a drag pans; only a click picks
            return
        for item in self.items(event.position().toPoint()):
            hit_id = item.data(HIT_ROLE)
            if hit_id is not None:
                self.hit_clicked.emit(int(hit_id))
                return
        # overlapping footprints: the frame whose centre is nearest shows the spot best
        at = self.mapToScene(event.position().toPoint())
        frames = [i for i in self.items(event.position().toPoint()) if i.data(FRAME_ROLE) is not None]
        if frames:
            nearest = min(frames, key=lambda i: (i.sceneBoundingRect().center() - at).manhattanLength())
            self.frame_clicked.emit(int(nearest.data(FRAME_ROLE)))

    # -- screen-space furniture: grid, scale bar, north arrow ---------------------------------------
    def drawForeground(self, painter: QPainter | None, rect: QRectF) -> None:
        if painter is None or self.projection is None:
            return
        painter.save()
        painter.resetTransform()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        view = self.viewport().rect()
        self._draw_grid(painter, view.width(), view.height())
        self._draw_scale_bar(painter, view.height())
        self._draw_north_arrow(painter, view.width())
        self._draw_legend(painter, view.width(), view.height())
        painter.restore()

    def _draw_grid(self, painter: QPainter, width: int, height: int) -> None:
        assert self.projection is not None
        top_left = self.mapToScene(0, 0)
        bottom_right = self.mapToScene(width, height)
        lon0, lat0 = self.projection.to_lonlat(top_left.x(), top_left.y())
        lon1, lat1 = self.projection.to_lonlat(bottom_right.x(), bottom_right.y())
        font = QFont()
        font.setPointSize(8)
        painter.setFont(font)
        pen = QPen(QColor(60, 60, 60, 110), 1)
        text = QColor(40, 40, 40)
        step = nice_step(float(max(lon1 - lon0, lat0 - lat1)), 5)
        decimals = max(0, -math.floor(math.log10(step)))
        for lon in grid_values(lon0, lon1, step, 180.0):
            sx, _ = self.projection.to_scene(lon, lat0)
            x = self.mapFromScene(QPointF(float(sx), top_left.y())).x()
            painter.setPen(pen)
            painter.drawLine(x, 0, x, height)
            painter.setPen(text)
            if x < width - 130:  # clear of the north arrow
                painter.drawText(x + 3, 12, f"{lon:.{decimals}f}°")
        for lat in grid_values(lat1, lat0, step, 90.0):
            _, sy = self.projection.to_scene(lon0, lat)
            y = self.mapFromScene(QPointF(top_left.x(), float(sy))).y()
            painter.setPen(pen)
            painter.drawLine(0, y, width, y)
            painter.setPen(text)
            if y < height - 50:  # clear of the scale bar
                painter.drawText(3, y - 3, f"{lat:.{decimals}f}°")

    def scale_bar_metres(self) -> float:
        """The length the scale bar shows: a round number of metres about 120 pixels long."""
        return nice_step(self.metres_per_pixel() * 120.0, 1)

    def _draw_scale_bar(self, painter: QPainter, height: int) -> None:
        metres = self.scale_bar_metres()
        length = metres / self.metres_per_pixel()
        x, y = 16.0, height - 20.0
        painter.setPen(QPen(QColor("black"), 2))
        painter.fillRect(QRectF(x - 6, y - 22, length + 12, 30), QColor(255, 255, 255, 200))
        painter.drawLine(QPointF(x, y), QPointF(x + length, y))
        for tick in (x, x + length / 2, x + length):
            painter.drawLine(QPointF(tick, y - 5), QPointF(tick, y + 3))
        label = f"{metres / 1000:g} km" if metres >= 1000 else f"{metres:g} m"
        painter.drawText(QPointF(x, y - 8), label)

    def _draw_legend(self, painter: QPainter, width: int, height: int) -> None:
        rows = len(LEGEND)
        box = QRectF(width - 170.0, height - 18.0 * rows - 16, 160.0, 18.0 * rows + 8)
        painter.fillRect(box, QColor(255, 255, 255, 210))
        font = QFont()
        font.setPointSize(8)
        painter.setFont(font)
        for i, (label, colour, round_mark) in enumerate(LEGEND):
            y = box.top() + 6 + 18 * i
            painter.setPen(QPen(colour.darker(130), 1))
            fill = QColor(colour)
            fill.setAlpha(255 if round_mark else 110)
            painter.setBrush(QBrush(fill))
            if round_mark is None:
                painter.setPen(QPen(colour, 3))
                painter.setBrush(QBrush(QColor("white")))
                painter.drawRect(QRectF(box.left() + 8, y + 1, 12, 12))
            elif round_mark:
                painter.drawEllipse(QRectF(box.left() + 9, y + 2, 10, 10))
            else:
                painter.drawRect(QRectF(box.left() + 6, y + 1, 16, 12))
            painter.setPen(QColor(30, 30, 30))
            painter.drawText(QPointF(box.left() + 30, y + 11), label)

    def _draw_north_arrow(self, painter: QPainter, width: int) -> None:
        cx, top = width - 30.0, 14.0
        painter.fillRect(QRectF(cx - 16, top - 4, 32, 56), QColor(255, 255, 255, 200))
        arrow = QPolygonF(
            [
                QPointF(cx, top + 4),
                QPointF(cx + 9, top + 34),
                QPointF(cx, top + 27),
                QPointF(cx - 9, top + 34),
            ]
        )
        painter.setPen(QPen(QColor("black"), 1))
        painter.setBrush(QBrush(QColor("black")))
        painter.drawPolygon(arrow)
        painter.drawText(QRectF(cx - 10, top + 34, 20, 16), Qt.AlignmentFlag.AlignCenter, "N")
