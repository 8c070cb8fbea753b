"""The offline map over a real scanned mission: footprints, track, hits with error circles, furniture,
hover and clicks; backgrounds from a real GeoTIFF and from an MBTiles file made of real pixels."""

from __future__ import annotations

import math
import sqlite3
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
import rasterio
from pyproj import Transformer
from PyQt6.QtCore import QPoint, QPointF, QRectF, Qt
from PyQt6.QtGui import QWheelEvent
from PyQt6.QtWidgets import QGraphicsEllipseItem, QGraphicsPixmapItem, QGraphicsPolygonItem

from sartriage import hits
from sartriage.coords import UtmProjection
from sartriage.frames import open_frame
from sartriage.mission_reads import MapFrames, map_frames
from sartriage.store import Store
from ui import basemap, map_furniture, style
from ui.map_furniture import FOOTPRINT_OPACITY, legend_rect
from ui.map_view import FRAME_ROLE, HIT_ROLE, HitMarker, MapView, footprint_colour

ORTHO = "geotiff/deepforest_neon/OSBS_029.tif"


@pytest.fixture
def view(qtbot) -> MapView:  # type: ignore[no-untyped-def]
    v = MapView()
    qtbot.addWidget(v)
    v.resize(900, 700)
    v.show()
    qtbot.waitExposed(v)
    return v


@pytest.mark.parametrize(
    ("status", "tiles", "review", "flagged", "colour"),
    [
        ("pending", 0, 0, 0, style.FRAME_PENDING),
        ("claimed", 0, 0, 0, style.FRAME_PENDING),
        ("failed", 0, 0, 0, style.FRAME_FAILED),
        ("done", 24, 0, 0, style.FRAME_CLEARED),
        ("done", 24, 3, 0, style.FRAME_REVIEW),
        ("done", 24, 3, 2, style.FRAME_FLAGGED),
    ],
)
def test_footprint_colour_follows_triage(status: str, tiles: int, review: int, flagged: int, colour) -> None:  # type: ignore[no-untyped-def]
    assert footprint_colour(status, tiles, review, flagged) == colour


def test_footprints_track_and_hits_from_the_store(qtbot, view: MapView, store: Store) -> None:  # type: ignore[no-untyped-def]
    frames = map_frames(store)
    shown = hits.list_hits(store)
    assert len(frames) == 3 and shown
    view.set_frames(frames)
    view.set_hits(shown)
    proj = view.projection
    assert proj is not None

    polygons = {
        int(item.data(FRAME_ROLE)): item
        for item in view.scene().items()
        if isinstance(item, QGraphicsPolygonItem) and item.data(FRAME_ROLE) is not None
    }
    assert set(polygons) == {int(i) for i in frames.ids}
    for i, frame_id in enumerate(frames.ids):
        item = polygons[int(frame_id)]
        # the polygon's corners, taken back to lon/lat, are the stored footprint
        poly = item.polygon()
        lon, lat = proj.to_lonlat(np.array([p.x() for p in poly]), np.array([p.y() for p in poly]))
        ring = np.array(frames.footprints[i])
        np.testing.assert_allclose(np.c_[lon, lat], ring, atol=1e-9)
        expected = footprint_colour(
            str(frames.status[i]),
            int(frames.tiles_total[i]),
            int(frames.tiles_review[i]),
            int(frames.tiles_flagged[i]),
        )
        assert item.pen().color().rgb() == expected.darker(130).rgb()
    # the Lacmus frame holds the flagged tiles (both people), so it is red
    lacmus = next(int(f) for f, n in zip(frames.ids, frames.tiles_flagged, strict=True) if n > 0)
    assert polygons[lacmus].pen().color().rgb() == style.FRAME_FLAGGED.darker(130).rgb()

    # one marker per located hit, and an error circle of the hit's radius in metres
    assert sorted(view.hit_ids()) == sorted(h.id for h in shown if h.lon is not None)
    circles = {
        int(item.data(HIT_ROLE)): item
        for item in view.scene().items()
        if isinstance(item, QGraphicsEllipseItem)
        and not isinstance(item, HitMarker)
        and item.data(HIT_ROLE) is not None
    }
    for hit in shown:
        if hit.error_radius_m:
            rect = circles[hit.id].rect()
            assert rect.width() == pytest.approx(2 * hit.error_radius_m)
            x, y = proj.to_scene(hit.lon, hit.lat)
            assert rect.center().x() == pytest.approx(float(x)) and rect.center().y() == pytest.approx(
                float(y)
            )


def test_hover_click_and_scale_bar(qtbot, view: MapView, store: Store) -> None:  # type: ignore[no-untyped-def]
    view.set_frames(map_frames(store))
    shown = [h for h in hits.list_hits(store) if h.lon is not None]
    view.set_hits(shown)
    hit = shown[0]
    view.centre_on_hit(hit.id)
    point = view.marker_position(hit.id)
    assert point is not None
    lon, lat = view.lonlat_at(point)
    tolerance_deg = 2 * view.metres_per_pixel() / 111_000 / math.cos(math.radians(lat))
    assert lon == pytest.approx(hit.lon, abs=tolerance_deg) and lat == pytest.approx(
        hit.lat, abs=tolerance_deg
    )

    with qtbot.waitSignal(view.hit_clicked, timeout=2_000) as clicked:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point.toPoint())
    assert clicked.args[0] in {h.id for h in shown}

    # scale bar: a round length, drawn 40 to 300 pixels long at this zoom, also after zooming in
    for _ in range(2):
        metres = view.scale_bar_metres()
        mantissa = metres / 10 ** math.floor(math.log10(metres))
        assert round(mantissa, 6) in (1.0, 2.0, 5.0)
        assert 40 <= metres / view.metres_per_pixel() <= 300
        view.scale(3.0, 3.0)


def test_click_on_a_footprint_picks_its_frame(qtbot, view: MapView, store: Store) -> None:  # type: ignore[no-untyped-def]
    frames = map_frames(store)
    view.set_frames(frames)
    proj = view.projection
    i = 1
    x, y = proj.to_scene(frames.lon[i], frames.lat[i])  # the frame's ground centre lies inside it
    # zoomed to the survey (the mission also holds a frame 7,500 km away), where footprints overlap
    view.show_area(QRectF(float(x) - 60, float(y) - 60, 120, 120))
    view.centerOn(float(x), float(y))
    pos = view.mapFromScene(QPointF(float(x), float(y)))
    under = [item for item in view.items(pos) if item.data(FRAME_ROLE) is not None]
    assert len(under) >= 2, "the survey's footprints overlap here"
    with qtbot.waitSignal(view.frame_clicked, timeout=2_000) as clicked:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert clicked.args[0] == int(frames.ids[i])


def test_orthomosaic_background_is_placed_by_its_georeferencing(
    qtbot, view: MapView, shared_data: Path
) -> None:  # type: ignore[no-untyped-def]
    path = shared_data / ORTHO
    loaded = basemap.read_orthomosaic(path)
    view.set_background(loaded)
    items = [i for i in view.scene().items() if isinstance(i, QGraphicsPixmapItem)]
    assert len(items) == 1
    with rasterio.open(path) as src:
        to_wgs = Transformer.from_crs(src.crs, "EPSG:4326", always_xy=True)
        b = src.bounds
        corners = [to_wgs.transform(x, y) for x, y in ((b.left, b.top), (b.right, b.top), (b.left, b.bottom))]
    proj = view.projection
    item = items[0]
    w, h = item.pixmap().width(), item.pixmap().height()
    for (lon, lat), (px, py) in zip(corners, ((0, 0), (w, 0), (0, h)), strict=True):
        scene = item.mapToScene(QPointF(px, py))
        x, y = proj.to_scene(lon, lat)
        assert scene.x() == pytest.approx(float(x), abs=0.05) and scene.y() == pytest.approx(
            float(y), abs=0.05
        )


def _mbtiles_from(ortho: Path, out: Path, zoom: int) -> tuple[float, float, float, float]:
    """An MBTiles file whose tiles at ``zoom`` over the orthophoto hold its real pixels."""
    with rasterio.open(ortho) as src:
        rgb = np.moveaxis(src.read((1, 2, 3)), 0, -1)
        to_wgs = Transformer.from_crs(src.crs, "EPSG:4326", always_xy=True)
        west, south = to_wgs.transform(src.bounds.left, src.bounds.bottom)
        east, north = to_wgs.transform(src.bounds.right, src.bounds.top)
    ok, png = cv2.imencode(".png", cv2.resize(rgb, (256, 256))[:, :, ::-1])
    assert ok
    n = 2**zoom
    x0 = int((west + 180) / 360 * n)
    x1 = int((east + 180) / 360 * n)
    ys = [int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n) for lat in (north, south)]
    conn = sqlite3.connect(out)
    conn.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
    conn.execute(
        "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB)"
    )
    conn.executemany("INSERT INTO metadata VALUES (?, ?)", [("format", "png"), ("name", "test")])
    for x in range(x0, x1 + 1):
        for y in range(ys[0], ys[1] + 1):
            conn.execute("INSERT INTO tiles VALUES (?, ?, ?, ?)", (zoom, x, n - 1 - y, png.tobytes()))
    conn.commit()
    conn.close()
    return west, south, east, north


def test_mbtiles_background_tiles_sit_on_web_mercator_bounds(shared_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "area.mbtiles"
    bounds = _mbtiles_from(shared_data / ORTHO, out, zoom=17)
    loaded = basemap.read_mbtiles(out, bounds)
    assert loaded.pieces
    merc = Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True)
    half = 20037508.342789244
    for piece in loaded.pieces:
        assert piece.image.width() == 256
        (lon_tl, lat_tl), (lon_tr, _), (_, lat_bl) = piece.corners
        # the tile's corners are whole web-mercator tiles at zoom 17, checked with pyproj
        size = 2 * half / 2**17
        mx = (lon_tl + 180) / 360 * 2**17
        assert mx == pytest.approx(round(mx), abs=1e-6)
        x_m = -half + round(mx) * size
        lon_check, _ = merc.transform(x_m + size, 0.0)
        assert lon_tr == pytest.approx(lon_check, abs=1e-9)
        _, lat_top = merc.transform(
            0.0, half - round((1 - math.asinh(math.tan(math.radians(lat_tl))) / math.pi) / 2 * 2**17) * size
        )
        assert lat_tl == pytest.approx(lat_top, abs=1e-9)
        assert lat_bl < lat_tl


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "not an MBTiles file"), (b"this is text, not sqlite", "MBTiles")],
)
def test_a_bad_mbtiles_file_is_a_sentence(tmp_path: Path, content: bytes, message: str) -> None:
    from sartriage.errors import FrameError

    bad = tmp_path / "bad.mbtiles"
    bad.write_bytes(content)
    with pytest.raises(FrameError, match=message) as caught:
        basemap.read_mbtiles(bad, None)
    assert str(bad) in str(caught.value)


def survey_with_a_stray_fix(shared_data: Path) -> MapFrames:
    """The 24 real frames of the XT2 survey grid, as GPS points, and one more with a fix at 0°, 0° (the
    position some drones log before GPS lock)."""
    positions = []
    for path in sorted((shared_data / "geotagged/deervision_dji_xt2").glob("*.JPG")):
        with open_frame(path) as frame:
            positions.append((frame.meta.lon, frame.meta.lat))
    positions.append((0.0, 0.0))
    n = len(positions)
    lon, lat = (np.array(v, dtype=np.float64) for v in zip(*positions, strict=True))
    zeros = np.zeros(n, dtype=np.int64)
    ids, one_flight, done = np.arange(1, n + 1), np.ones(n, dtype=np.int64), np.array(["done"] * n)
    return MapFrames(ids, one_flight, lon, lat, done, zeros, zeros, zeros, (None,) * n, ids - 1)


def test_the_map_fits_the_survey_not_a_stray_fix_and_zooms_back_from_the_world(
    qtbot, view: MapView, shared_data: Path
) -> None:  # type: ignore[no-untyped-def]
    frames = survey_with_a_stray_fix(shared_data)
    view.set_frames(frames)
    shown = view.mapToScene(view.viewport().rect()).boundingRect()
    x, y = view.projection.to_scene(frames.lon[:-1], frames.lat[:-1])
    assert shown.width() < 3_000 and shown.height() < 3_000  # metres: the survey, not the way to 0°, 0°
    assert all(shown.contains(QPointF(float(px), float(py))) for px, py in zip(x, y, strict=True))

    view.resetTransform()
    view.scale(0.001, 0.001)  # past the widest zoom, as a fit of the world would leave it
    before = view.transform().m11()
    wheel = QWheelEvent(
        QPointF(100, 100), QPointF(100, 100), QPoint(), QPoint(0, 120), Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False,
    )  # fmt: skip
    view.wheelEvent(wheel)
    assert view.transform().m11() == pytest.approx(before * 1.25)  # zooming in is always allowed


def test_hits_differ_by_shape_and_colour_and_overlaps_show_only_legend_colours(
    qtbot, view: MapView, store: Store, shared_data: Path
) -> None:  # type: ignore[no-untyped-def]
    hit = hits.list_hits(store)[0]
    marks = [HitMarker(s, hit.id) for s in ("candidate", "confirmed", "found", "rejected")]
    shapes = {tuple((p.x(), p.y()) for p in m.path().toFillPolygon()) for m in marks}
    assert len(shapes) == len(marks) and len({m.brush().color().rgb() for m in marks}) == len(marks)

    # every third frame of the survey flagged, every third for volunteers: where footprints overlap, the
    # worst state is drawn on top, opaque, and the layer is see-through as one
    survey = survey_with_a_stray_fix(shared_data)
    n = len(survey)
    tiles, review, flagged = np.full(n, 24), (np.arange(n) % 3 > 0) * 3, (np.arange(n) % 3 == 2) * 2
    view.set_frames(replace(survey, tiles_total=tiles, tiles_review=review, tiles_flagged=flagged))
    group = next(i for i in view.scene().items() if i.graphicsEffect() is not None)
    assert group.graphicsEffect().opacity() == pytest.approx(FOOTPRINT_OPACITY)
    footprints = [i for i in group.childItems() if i.data(FRAME_ROLE) is not None]
    assert len(footprints) == n and all(f.brush().color().alpha() == 255 for f in footprints)
    z = {f.brush().color().rgb(): f.zValue() for f in footprints}
    assert z[style.FRAME_CLEARED.rgb()] < z[style.FRAME_REVIEW.rgb()] < z[style.FRAME_FLAGGED.rgb()]


def test_the_legend_folds_away_with_a_click(qtbot, view: MapView, store: Store) -> None:  # type: ignore[no-untyped-def]
    view.set_frames(map_frames(store))
    view.grab()
    opened = legend_rect(view.viewport().width(), view.viewport().height(), True)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=opened.center().toPoint())
    assert not view.legend_open
    view.grab()
    folded = legend_rect(view.viewport().width(), view.viewport().height(), False)
    assert folded.height() < opened.height() / 4 and not folded.contains(opened.center())
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=folded.center().toPoint())
    assert view.legend_open


def test_a_utm_grid_draws_round_eastings_and_northings(
    qtbot, view: MapView, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    view.set_frames(survey_with_a_stray_fix(shared_data))
    lines: list[tuple[QPointF, QPointF]] = []
    monkeypatch.setattr(map_furniture, "_line", lambda _painter, a, b: lines.append((a, b)))
    view.set_grid("utm")
    view.grab()
    assert view.grid_drawn == "utm" and lines
    lon, lat = view.lonlat_at(QPointF(view.viewport().rect().center()))
    utm = UtmProjection.around(lon, lat)
    for a, b in lines:
        ends = [view.lonlat_at(p) for p in (a, b)]
        e, n = utm.forward(np.array([p[0] for p in ends]), np.array([p[1] for p in ends]))
        metres = 2 * view.metres_per_pixel()  # the ends are whole screen pixels
        vertical = abs(e[0] - e[1]) < abs(n[0] - n[1])
        along = e if vertical else n
        assert abs(along[0] - along[1]) < metres and abs(along[0] - round(along[0] / 10) * 10) < metres

    lines.clear()
    view.resetTransform()
    view.scale(0.001, 0.001)  # a country: too wide for one zone
    view.grab()
    assert view.grid_drawn == "degrees"
