"""The frame view on the real 12 MP Lacmus photo: preview first, full resolution on zoom, layers."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from pixels import rgb
from PyQt6.QtCore import QPointF, QRectF, Qt
from PyQt6.QtWidgets import QGraphicsPixmapItem, QGraphicsSimpleTextItem

from sartriage.frames import Window, open_frame
from sartriage.mission_reads import frame_overlays
from sartriage.store import Store
from ui.frame_viewer import LABEL_MIN_SCORE, LAYERS, FramePanel
from ui.imagery import PREVIEW_LONG_SIDE, context_rect


def _lacmus_id(store: Store) -> int:
    from sqlalchemy import select

    from sartriage.store import schema

    with store.connect() as conn:
        return int(
            conn.execute(select(schema.frames.c.id).where(schema.frames.c.path.like("%335.jpg"))).scalar()
        )


@pytest.fixture
def panel(qtbot) -> FramePanel:  # type: ignore[no-untyped-def]
    p = FramePanel()
    qtbot.addWidget(p)
    p.resize(1000, 760)
    p.show()
    qtbot.waitExposed(p)
    return p


def test_preview_then_full_resolution_where_zoomed(qtbot, panel: FramePanel, store: Store) -> None:  # type: ignore[no-untyped-def]
    overlays = frame_overlays(store, _lacmus_id(store))
    view = panel.view
    with qtbot.waitSignal(view.loaded, timeout=30_000):
        panel.show_frame(overlays)
    assert view.sceneRect() == QRectF(0, 0, 4000, 3000)
    previews = [i for i in view.scene().items() if isinstance(i, QGraphicsPixmapItem)]
    assert len(previews) == 1
    assert max(previews[0].pixmap().width(), previews[0].pixmap().height()) == PREVIEW_LONG_SIDE
    # the whole frame fits the view after loading
    assert view.visible_frame_rect().contains(QRectF(0, 0, 4000, 3000).adjusted(1, 1, -1, -1))

    # zoom onto the first person: the visible part is read at full resolution and matches the file
    person = QRectF(1700, 1560, 160, 160)
    with qtbot.waitSignal(view.detail_loaded, timeout=30_000) as detail:
        view.focus_on(person)
    x, y, w, h = detail.args[0]
    visible = view.visible_frame_rect()
    assert QRectF(x, y, w, h).contains(visible)
    items = [i for i in view.scene().items() if isinstance(i, QGraphicsPixmapItem) and i.zValue() == -1]
    assert len(items) == 1
    shown = rgb(items[0].pixmap().toImage())
    assert shown.shape[:2] == (h, w)  # one screen item pixel per frame pixel
    with open_frame(overlays.path) as frame:
        truth = frame.read(window=Window(x, y, w, h))
    np.testing.assert_array_equal(shown, truth)


def test_layers_hold_the_stored_tiles_and_detections_and_toggle(
    qtbot, panel: FramePanel, store: Store
) -> None:  # type: ignore[no-untyped-def]
    overlays = frame_overlays(store, _lacmus_id(store))
    with qtbot.waitSignal(panel.view.loaded, timeout=30_000):
        panel.show_frame(overlays)
    for state in ("cleared", "review", "flagged"):
        assert panel.view.layer_items(state) == int((overlays.tile_state == state).sum())
    assert (overlays.tile_state == "flagged").sum() >= 2  # both people
    # a box per detection, and a score label on those not too faint to matter
    labelled = int((overlays.det_score >= LABEL_MIN_SCORE).sum())
    assert labelled >= 2  # both people
    assert panel.view.layer_items("detections") == len(overlays.det_score) + labelled

    assert not panel.view.layer_visible("cleared")  # off at first: the frame stays readable
    for layer, box in panel.toggles.items():
        before = box.isChecked()
        qtbot.mouseClick(box, Qt.MouseButton.LeftButton)
        assert panel.view.layer_visible(layer) is (not before)
        assert panel.view._layers[layer].isVisible() is (not before)


def test_overlays_never_cover_the_person(qtbot, panel: FramePanel, store: Store) -> None:  # type: ignore[no-untyped-def]
    """Inside a person's box the screen shows the photo's own pixels: its score label sits beside the box
    and names the class, and tiles are outlined, never filled (a tile edge may cross it as a thin line)."""
    overlays = frame_overlays(store, _lacmus_id(store))
    view = panel.view
    labelled = [i for i, score in enumerate(overlays.det_score) if score >= LABEL_MIN_SCORE]
    assert labelled
    with qtbot.waitSignal(view.loaded, timeout=30_000):
        view.show_frame(overlays)
    for i in labelled:
        only = slice(i, i + 1)
        one = replace(
            overlays,
            det_xyxy=overlays.det_xyxy[only],
            det_score=overlays.det_score[only],
            det_clue=overlays.det_clue[only],
        )
        view.show_frame(one)  # the same frame: only the overlays are drawn again
        x1, y1, x2, y2 = one.det_xyxy[0]
        with qtbot.waitSignal(view.detail_loaded, timeout=30_000):
            view.focus_on(QRectF(x1, y1, x2 - x1, y2 - y1))
        corner1, corner2 = view.mapFromScene(QPointF(x1, y1)), view.mapFromScene(QPointF(x2, y2))
        inside = (slice(corner1.y() + 3, corner2.y() - 2), slice(corner1.x() + 3, corner2.x() - 2))

        def shown(*layers: str, inside: tuple[slice, slice] = inside) -> np.ndarray:
            for layer in LAYERS:
                view.set_layer_visible(layer, layer in layers)
            return rgb(view.viewport().grab().toImage())[inside]

        bare = shown()
        assert bare.size
        assert np.array_equal(shown("detections"), bare), f"detection {i}: its label is drawn over it"
        drawn = (shown("cleared", "review", "flagged") != bare).any(axis=2)
        assert drawn.mean() < 0.1, f"detection {i}: a tile is filled over it"
    labels = [t.text() for t in view.scene().items() if isinstance(t, QGraphicsSimpleTextItem)]
    assert labels and all(t.split()[0] in ("person", "clue") for t in labels)


def test_wheel_zooms_about_the_cursor(qtbot, panel: FramePanel, store: Store) -> None:  # type: ignore[no-untyped-def]
    overlays = frame_overlays(store, _lacmus_id(store))
    with qtbot.waitSignal(panel.view.loaded, timeout=30_000):
        panel.show_frame(overlays)
    view = panel.view
    start = view.zoom()
    view.zoom_by(1.25**4)
    assert view.zoom() == pytest.approx(start * 1.25**4)
    view.zoom_by(1e6)  # never past the most a person needs
    assert view.zoom() == pytest.approx(16.0)
    view.zoom_by(1e-9)  # and never smaller than half the whole frame
    assert view.zoom() == pytest.approx(view._fit_zoom() * 0.5, rel=1e-3)
    assert view.mapToScene(view.viewport().rect().center()) != QPointF(-1, -1)


def test_an_unreadable_frame_says_why(qtbot, panel: FramePanel, store: Store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    overlays = frame_overlays(store, _lacmus_id(store))
    broken = tmp_path / "gone.jpg"
    broken.write_bytes(b"\xff\xd8\xff truncated")

    with qtbot.waitSignal(panel.view.failed, timeout=30_000) as failed:
        panel.show_frame(replace(overlays, path=broken))
    assert "gone.jpg" in failed.args[0]
    assert "Cannot show this frame" in panel.caption.text()


@pytest.mark.parametrize(
    ("x", "y", "size", "side", "expected"),
    [
        (2000, 1500, (4000, 3000), 600, (1700, 1200, 600, 600)),
        (10, 10, (4000, 3000), 600, (0, 0, 600, 600)),  # shifted inside at the top-left corner
        (3990, 2990, (4000, 3000), 600, (3400, 2400, 600, 600)),
        (320, 256, (640, 512), 1200, (0, 0, 640, 512)),  # larger than the frame: the whole frame
    ],
)
def test_context_rect(
    x: float, y: float, size: tuple[int, int], side: int, expected: tuple[int, ...]
) -> None:
    assert context_rect(x, y, size, side) == expected
