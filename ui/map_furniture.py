"""What the map paints over its scene in screen pixels: a grid in degrees or in UTM/MGRS metres, the scale
bar, the north arrow and a legend that folds away; and the marks hits are drawn with."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PyQt6.QtCore import QPointF, QRectF, Qt
from PyQt6.QtGui import QBrush, QColor, QFont, QPainter, QPainterPath, QPen, QPolygonF

from sartriage.coords import UtmProjection, latitude_band
from ui import style
from ui.geo import grid_values, nice_step

ToScreen = Callable[[float, float], QPointF]  # lon, lat -> viewport pixels

UTM_MAX_SPAN_M = 200_000.0  # wider than this a UTM grid bends across zones: degrees are drawn instead
FOOTPRINT_OPACITY = 0.35  # the photos and a background map show through
LEGEND = (  # label, colour, how it is drawn: a footprint swatch, a hit's mark, or a person's open square
    ("frame not scanned yet", style.FRAME_PENDING, "swatch"),
    ("frame cleared", style.FRAME_CLEARED, "swatch"),
    ("tiles for volunteers", style.FRAME_REVIEW, "swatch"),
    ("tiles flagged", style.FRAME_FLAGGED, "swatch"),
    ("frame unreadable", style.FRAME_FAILED, "swatch"),
    ("candidate", style.CANDIDATE, style.HIT_SHAPES["candidate"]),
    ("confirmed hit", style.CONFIRMED, style.HIT_SHAPES["confirmed"]),
    ("found", style.HIT_STATUS_COLOURS["found"], style.HIT_SHAPES["found"]),
    ("person, several views", style.CONFIRMED, "person"),
)
LEGEND_WIDTH, ROW = 170.0, 18.0


def mark_path(shape: str, r: float) -> QPainterPath:
    """A hit's mark of half-size ``r`` around (0, 0): circle, diamond, square or cross."""
    path = QPainterPath()
    if shape == "diamond":
        k = 1.35 * r
        path.addPolygon(QPolygonF([QPointF(0, -k), QPointF(k, 0), QPointF(0, k), QPointF(-k, 0)]))
        path.closeSubpath()
    elif shape == "square":
        path.addRect(QRectF(-r, -r, 2 * r, 2 * r))
    elif shape == "cross":
        w = 0.35 * r
        arm = [(-r, -r + w), (-r + w, -r), (0, -w), (r - w, -r), (r, -r + w), (w, 0)]
        arm += [(x * -1, y * -1) for x, y in arm]
        path.addPolygon(QPolygonF([QPointF(x, y) for x, y in arm]))
        path.closeSubpath()
    else:
        path.addEllipse(QRectF(-r, -r, 2 * r, 2 * r))
    return path


def _line(painter: QPainter, a: QPointF, b: QPointF) -> None:
    painter.setPen(QPen(QColor(60, 60, 60, 110), 1))
    painter.drawLine(a, b)


def _label(painter: QPainter, at: QPointF, text: str) -> None:
    painter.setPen(QColor(40, 40, 40))
    painter.drawText(at, text)


def draw_degree_grid(
    painter: QPainter, to_screen: ToScreen, bounds: tuple[float, float, float, float], width: int, height: int
) -> None:
    """Lines of longitude and latitude at a round step; ``bounds`` is west, south, east, north."""
    west, south, east, north = bounds
    step = nice_step(max(east - west, north - south), 5)
    decimals = max(0, -int(np.floor(np.log10(step))))
    for lon in grid_values(west, east, step, 180.0):
        x = to_screen(lon, north).x()
        _line(painter, QPointF(x, 0), QPointF(x, height))
        if x < width - 130:  # clear of the north arrow
            _label(painter, QPointF(x + 3, 12), f"{lon:.{decimals}f}°")
    for lat in grid_values(south, north, step, 90.0):
        y = to_screen(west, lat).y()
        _line(painter, QPointF(0, y), QPointF(width, y))
        if y < height - 50:  # clear of the scale bar
            _label(painter, QPointF(3, y - 3), f"{lat:.{decimals}f}°")


def draw_utm_grid(
    painter: QPainter, to_screen: ToScreen, bounds: tuple[float, float, float, float], width: int, height: int
) -> bool:
    """Easting and northing lines in the UTM zone of the view's centre (the lines MGRS references are read
    on), labelled in metres; False, drawing nothing, when the view is too wide for one zone."""
    west, south, east, north = bounds
    lon, lat = (west + east) / 2, (south + north) / 2
    if not (-80.0 <= lat <= 84.0):
        return False  # polar: UPS, not UTM
    utm = UtmProjection.around(lon, lat)
    xs, ys = utm.forward(np.array([west, east, west, east]), np.array([south, south, north, north]))
    if not (np.all(np.isfinite(xs)) and np.all(np.isfinite(ys))):
        return False
    span = float(max(xs.max() - xs.min(), ys.max() - ys.min()))
    if span > UTM_MAX_SPAN_M:
        return False
    step = max(nice_step(span, 5), 10.0)
    e0, e1, n0, n1 = float(xs.min()), float(xs.max()), float(ys.min()), float(ys.max())

    def screen(e: float, n: float) -> QPointF:
        lon_, lat_ = utm.inverse(np.array([e]), np.array([n]))
        return to_screen(float(lon_[0]), float(lat_[0]))

    for e in grid_values(e0, e1, step, 1e7):
        top, bottom = screen(e, n1), screen(e, n0)
        _line(painter, top, bottom)
        if 0 <= top.x() < width - 130:
            _label(painter, QPointF(max(top.x(), 0) + 3, 12), f"{e:.0f} E")
    for n in grid_values(n0, n1, step, 1e7):
        left, right = screen(e0, n), screen(e1, n)
        _line(painter, left, right)
        if 14 < left.y() < height - 50:
            _label(painter, QPointF(3, left.y() - 3), f"{n:.0f} N")
    zone = f"UTM {utm.zone}{latitude_band(lat)} · {step:g} m grid"
    painter.fillRect(QRectF(0, height - 74, 170, 18), QColor(255, 255, 255, 200))
    _label(painter, QPointF(4, height - 61), zone)
    return True


def draw_scale_bar(painter: QPainter, metres: float, length: float, height: int) -> None:
    x, y = 16.0, height - 20.0
    painter.setPen(QPen(QColor("black"), 2))
    painter.fillRect(QRectF(x - 6, y - 22, length + 12, 30), QColor(255, 255, 255, 200))
    painter.drawLine(QPointF(x, y), QPointF(x + length, y))
    for tick in (x, x + length / 2, x + length):
        painter.drawLine(QPointF(tick, y - 5), QPointF(tick, y + 3))
    label = f"{metres / 1000:g} km" if metres >= 1000 else f"{metres:g} m"
    painter.drawText(QPointF(x, y - 8), label)


def legend_rect(width: int, height: int, open_: bool) -> QRectF:
    rows = len(LEGEND) + 1 if open_ else 1
    return QRectF(width - LEGEND_WIDTH - 10, height - ROW * rows - 16, LEGEND_WIDTH, ROW * rows + 8)


def draw_legend(painter: QPainter, width: int, height: int, open_: bool) -> QRectF:
    """The legend, or only its title when folded; returns where it is (a click there folds or opens it)."""
    box = legend_rect(width, height, open_)
    painter.fillRect(box, QColor(255, 255, 255, 215))
    font = QFont()
    font.setPointSize(8)
    painter.setFont(font)
    painter.setPen(QColor(30, 30, 30))
    painter.drawText(
        QPointF(box.left() + 8, box.top() + 17), "Legend ▾ (click to fold)" if open_ else "Legend ▸"
    )
    if not open_:
        return box
    for i, (label, colour, how) in enumerate(LEGEND, start=1):
        y = box.top() + 6 + ROW * i
        centre = QPointF(box.left() + 14, y + 7)
        if how == "swatch":
            fill = QColor(colour)
            fill.setAlphaF(FOOTPRINT_OPACITY)
            painter.setPen(QPen(colour.darker(130), 1))
            painter.setBrush(QBrush(fill))
            painter.drawRect(QRectF(box.left() + 6, y + 1, 16, 12))
        elif how == "person":
            painter.setPen(QPen(colour, 3))
            painter.setBrush(QBrush(QColor("white")))
            painter.drawRect(QRectF(box.left() + 8, y + 1, 12, 12))
        else:
            painter.setPen(QPen(QColor("white"), 1.5))
            painter.setBrush(QBrush(colour))
            painter.drawPath(mark_path(how, 5.5).translated(centre))
        painter.setPen(QColor(30, 30, 30))
        painter.drawText(QPointF(box.left() + 30, y + 11), label)
    return box


def draw_north_arrow(painter: QPainter, width: int) -> None:
    cx, top = width - 30.0, 14.0
    painter.fillRect(QRectF(cx - 16, top - 4, 32, 56), QColor(255, 255, 255, 200))
    arrow = QPolygonF(
        [QPointF(cx, top + 4), QPointF(cx + 9, top + 34), QPointF(cx, top + 27), QPointF(cx - 9, top + 34)]
    )
    painter.setPen(QPen(QColor("black"), 1))
    painter.setBrush(QBrush(QColor("black")))
    painter.drawPolygon(arrow)
    painter.drawText(QRectF(cx - 10, top + 34, 20, 16), Qt.AlignmentFlag.AlignCenter, "N")
