"""The offline mission map: footprints, flight track, candidates and hits with error circles.

Drawn with QGraphicsScene in a local metric projection (scene units are metres
east and south of the mission's centre), so error circles stay round and the
scale bar is exact. North is up. The lat/lon grid, the scale bar and the north
arrow are painted over the scene in screen space.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PyQt6.QtCore import QPointF, QRectF, Qt, pyqtSignal
from PyQt6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QImage,
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
    QGraphicsOpacityEffect,
    QGraphicsPathItem,
    QGraphicsPixmapItem,
    QGraphicsPolygonItem,
    QGraphicsRectItem,
    QGraphicsView,
    QWidget,
)

from sartriage.coords import lat_lon_decimal
from sartriage.hits import Hit
from sartriage.hits.grouping import HitGroup
from sartriage.mission_reads import MapFrames
from ui import style
from ui.basemap import Basemap
from ui.geo import LocalProjection, lie_together, nice_step
from ui.map_furniture import (
    FOOTPRINT_OPACITY,
    draw_degree_grid,
    draw_legend,
    draw_north_arrow,
    draw_scale_bar,
    draw_utm_grid,
    mark_path,
)
from ui.pannable_view import PannableView

HIT_ROLE = 0
FRAME_ROLE = 1
MARKER_PX = 7.0
LAYERS = {  # what can be shown or hidden, bottom to top, in the coordinator's words
    "background": "Background map",
    "photos": "The mission's photos",
    "frames": "Frames searched",
    "track": "Flight track",
    "hits": "Hits",
}
SEVERITY = [
    c.rgb() for c in (style.FRAME_CLEARED, style.FRAME_PENDING, style.FRAME_REVIEW, style.FRAME_FLAGGED)
]
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


class HitMarker(QGraphicsPathItem):
    """A mark of constant screen size, its shape and colour by the hit's status; the error circle is a
    separate item in metres."""

    def __init__(self, status: str, hit_id: int) -> None:
        super().__init__(mark_path(style.HIT_SHAPES.get(status, "circle"), MARKER_PX))
        colour = style.HIT_STATUS_COLOURS.get(status, style.CANDIDATE)
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
        self.grid = "degrees"
        self.grid_drawn = ""  # the grid the last paint drew
        self.legend_open = True
        self._legend_box = QRectF()
        self._photos: dict[int, QGraphicsPixmapItem] = {}
        self._frames: MapFrames | None = None
        self._unscanned: dict[int, list[list[float]]] = {}  # frame id -> footprint read from the file
        self._photo_group = QGraphicsItemGroup()
        self._photo_group.setZValue(-5)  # over a loaded background map, under everything the scan found
        self.scene().addItem(self._photo_group)
        self._layers = {name: [True, 1.0] for name in LAYERS}  # visible, opacity

    # -- data -------------------------------------------------------------------------------------
    def _ensure_projection(self, lons: np.ndarray, lats: np.ndarray) -> LocalProjection | None:
        if self.projection is None:
            ok = np.isfinite(lons) & np.isfinite(lats)
            if ok.any():
                self.projection = LocalProjection.around(lons[ok], lats[ok])
        return self.projection

    def set_frames(self, frames: MapFrames) -> None:
        self._frames = frames
        known = [ring[0] for ring in self._unscanned.values()]
        proj = self._ensure_projection(
            np.concatenate([frames.lon, [p[0] for p in known]]),
            np.concatenate([frames.lat, [p[1] for p in known]]),
        )
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
            frame_id = int(frames.ids[i])
            ring = frames.footprints[i] or self._unscanned.get(frame_id)
            if not ring and np.isfinite(frames.lon[i]):
                ring = [[float(frames.lon[i]), float(frames.lat[i])]]
            if ring:
                group.addToGroup(self._footprint(proj, frame_id, ring, colour))
        # the layer is see-through as a whole, so overlaps show no blend of colours the legend lacks
        group.setGraphicsEffect(QGraphicsOpacityEffect(opacity=FOOTPRINT_OPACITY))
        group.setZValue(0)
        scene.addItem(group)
        self._frames_group = group
        self._apply("frames")

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
        self._apply("track")
        self._fit_once()

    @staticmethod
    def _footprint(
        proj: LocalProjection, frame_id: int, ring: Sequence[Sequence[float]], colour: QColor
    ) -> QAbstractGraphicsShapeItem:
        """A frame on the ground: its footprint, or a dot where only its position is known."""
        xs, ys = proj.to_scene(np.array([p[0] for p in ring]), np.array([p[1] for p in ring]))
        item: QAbstractGraphicsShapeItem
        if len(ring) > 2:
            item = QGraphicsPolygonItem(
                QPolygonF([QPointF(float(x), float(y)) for x, y in zip(xs, ys, strict=True)])
            )
        else:
            item = QGraphicsEllipseItem(float(xs[0]) - 4, float(ys[0]) - 4, 8, 8)
        pen = QPen(colour.darker(130), 1.5)
        pen.setCosmetic(True)
        item.setPen(pen)
        item.setBrush(QBrush(colour))  # opaque: where footprints overlap the worst state shows, in its colour
        item.setData(FRAME_ROLE, frame_id)
        item.setZValue(SEVERITY.index(colour.rgb()) if colour.rgb() in SEVERITY else 0)
        return item

    def place_unscanned(self, frame_id: int, ring: list[list[float]]) -> None:
        """Where a frame not scanned yet lies (read from its file), so gaps in the search show grey."""
        self._unscanned[frame_id] = ring
        if self._frames_group is None or self.projection is None:
            if self._frames is not None:
                self.set_frames(self._frames)
            return
        self._frames_group.addToGroup(self._footprint(self.projection, frame_id, ring, style.FRAME_PENDING))

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
            marker = HitMarker(hit.status, hit.id)
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
        self._apply("hits")
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
        self._apply("background")
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

    def set_photo(self, frame_id: int, image: QImage, corners: np.ndarray) -> None:
        """Draw a frame's photo on its footprint: ``corners`` are the ground (lon, lat) of its top-left,
        top-right, bottom-right and bottom-left corners (see ``ui.photo_layer``)."""
        proj = self._ensure_projection(corners[:, 0], corners[:, 1])
        if proj is None or image.isNull():
            return
        xs, ys = proj.to_scene(corners[:, 0], corners[:, 1])
        w, h = float(image.width()), float(image.height())
        source = QPolygonF([QPointF(0, 0), QPointF(w, 0), QPointF(w, h), QPointF(0, h)])
        target = QPolygonF([QPointF(float(x), float(y)) for x, y in zip(xs, ys, strict=True)])
        transform = QTransform()
        if not QTransform.quadToQuad(source, target, transform):
            return
        old = self._photos.pop(frame_id, None)
        if old is not None:
            self.scene().removeItem(old)
        item = QGraphicsPixmapItem(QPixmap.fromImage(image))
        item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        item.setTransform(transform)
        item.setParentItem(self._photo_group)
        self._photos[frame_id] = item

    def photo_ids(self) -> list[int]:
        return list(self._photos)

    # -- layers -----------------------------------------------------------------------------------
    def set_layer(self, name: str, visible: bool | None = None, opacity: float | None = None) -> None:
        """Show or hide a layer (``LAYERS``) and set how see-through it is (1: opaque)."""
        state = self._layers[name]
        if visible is not None:
            state[0] = visible
        if opacity is not None:
            state[1] = min(max(opacity, 0.0), 1.0)
        self._apply(name)

    def layer(self, name: str) -> tuple[bool, float]:
        visible, opacity = self._layers[name]
        return bool(visible), float(opacity)

    def _apply(self, name: str) -> None:
        visible, opacity = self.layer(name)
        items: dict[str, list[QGraphicsItem | None]] = {
            "photos": [self._photo_group],
            "background": list(self._background),
            "frames": [self._frames_group],
            "track": [self._track],
            "hits": [self._hits_group],
        }
        for item in items[name]:
            if item is None:
                continue
            item.setVisible(visible)
            effect = item.graphicsEffect()
            if isinstance(effect, QGraphicsOpacityEffect):  # footprints: see-through as one layer
                effect.setOpacity(FOOTPRINT_OPACITY * opacity)
            else:
                item.setOpacity(opacity)

    def reset(self) -> None:
        """A new mission: a new projection, fitted again when its data arrives."""
        self.set_background(None)
        for item in self._photos.values():
            self.scene().removeItem(item)
        self._photos.clear()
        self._unscanned.clear()
        self._frames = None
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
        if self._legend_box.contains(event.position()):
            self.legend_open = not self.legend_open
            self.viewport().update()
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

    # -- screen-space furniture: grid, scale bar, north arrow, legend ----------------------------------
    def _to_screen(self, lon: float, lat: float) -> QPointF:
        assert self.projection is not None
        x, y = self.projection.to_scene(lon, lat)
        return QPointF(self.mapFromScene(QPointF(float(x), float(y))))

    def view_bounds(self) -> tuple[float, float, float, float]:
        """West, south, east, north of what the view shows."""
        assert self.projection is not None
        view = self.viewport().rect()
        top_left, bottom_right = self.mapToScene(0, 0), self.mapToScene(view.width(), view.height())
        west, north = self.projection.to_lonlat(top_left.x(), top_left.y())
        east, south = self.projection.to_lonlat(bottom_right.x(), bottom_right.y())
        return float(west), float(south), float(east), float(north)

    def set_grid(self, grid: str) -> None:
        """Grid lines in "degrees" or "utm" (UTM/MGRS metres, where one zone covers the view)."""
        self.grid = grid
        self.viewport().update()

    def drawForeground(self, painter: QPainter | None, rect: QRectF) -> None:
        if painter is None or self.projection is None:
            return
        painter.save()
        painter.resetTransform()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        view = self.viewport().rect()
        w, h = view.width(), view.height()
        font = QFont()
        font.setPointSize(8)
        painter.setFont(font)
        bounds = self.view_bounds()
        self.grid_drawn = (
            "utm" if self.grid == "utm" and draw_utm_grid(painter, self._to_screen, bounds, w, h) else ""
        )
        if not self.grid_drawn:
            draw_degree_grid(painter, self._to_screen, bounds, w, h)
            self.grid_drawn = "degrees"
        metres = self.scale_bar_metres()
        draw_scale_bar(painter, metres, metres / self.metres_per_pixel(), h)
        draw_north_arrow(painter, w)
        self._legend_box = draw_legend(painter, w, h, self.legend_open)
        painter.restore()

    def scale_bar_metres(self) -> float:
        """The length the scale bar shows: a round number of metres about 120 pixels long."""
        return nice_step(self.metres_per_pixel() * 120.0, 1)
