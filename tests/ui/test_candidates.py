"""The candidate list over real scanned hits: order, thumbnails of the real pixels, keyboard."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PyQt6.QtCore import Qt

from sartriage import hits
from sartriage.frames import Window, open_frame
from sartriage.store import Store
from ui import imagery
from ui.candidates import THUMB, CandidateList, caption, thumb_side


@pytest.fixture
def listed(qtbot, store: Store) -> tuple[CandidateList, list[hits.Hit]]:  # type: ignore[no-untyped-def]
    widget = CandidateList()
    qtbot.addWidget(widget)
    widget.resize(400, 600)
    widget.show()
    shown = hits.list_hits(store)
    assert len(shown) >= 2
    widget.set_hits(shown)
    return widget, shown


def test_best_first_with_score_source_and_status(listed: tuple[CandidateList, list[hits.Hit]]) -> None:
    widget, shown = listed
    assert [h.id for h in widget.hits()] == [h.id for h in shown]
    for row, hit in enumerate(shown):
        text = widget.item(row).text()
        assert text == f"{hit.confidence:.2f} · detector\nto decide"
    assert widget.currentRow() == 0


def test_thumbnails_are_the_hits_pixels(qtbot, listed: tuple[CandidateList, list[hits.Hit]]) -> None:  # type: ignore[no-untyped-def]
    widget, shown = listed
    qtbot.waitUntil(lambda: widget.thumbnails_loaded() == len(shown), timeout=30_000)
    hit = shown[0]
    thumb = (
        widget._thumbs[hit.id]
        .toImage()
        .convertToFormat(widget._thumbs[hit.id].toImage().Format.Format_RGB888)
    )
    assert max(thumb.width(), thumb.height()) == THUMB
    side = thumb_side(hit)
    assert side < max(hit.tile[2], hit.tile[3])  # closer than the whole tile: the person is visible
    rect = imagery.context_rect(hit.x, hit.y, (hit.frame_size[0], hit.frame_size[1]), side)
    with open_frame(Path(hit.frame_path)) as frame:
        window = frame.read(window=Window(*rect))

    expected = cv2.resize(window, (thumb.width(), thumb.height()), interpolation=cv2.INTER_AREA)
    data = np.array(thumb.constBits().asarray(thumb.sizeInBytes()), dtype=np.uint8)
    got = data.reshape(thumb.height(), thumb.bytesPerLine())[:, : thumb.width() * 3].reshape(
        thumb.height(), thumb.width(), 3
    )
    assert np.abs(got.astype(int) - expected.astype(int)).mean() < 1.0


@pytest.mark.parametrize(("key", "action"), [(Qt.Key.Key_Y, "confirm"), (Qt.Key.Key_N, "reject")])
def test_y_and_n_decide_on_the_current_hit(qtbot, listed, key, action) -> None:  # type: ignore[no-untyped-def]
    widget, shown = listed
    widget.setFocus()
    qtbot.keyClick(widget, Qt.Key.Key_Right)
    current = widget.current()
    assert current is not None and current.id == shown[1].id
    with qtbot.waitSignal(widget.decide, timeout=2_000) as decided:
        qtbot.keyClick(widget, key)
    assert decided.args == [current.id, action]


def test_space_asks_for_context_and_arrows_move(qtbot, listed) -> None:  # type: ignore[no-untyped-def]
    widget, shown = listed
    widget.setFocus()
    with qtbot.waitSignal(widget.current_hit, timeout=2_000) as moved:
        qtbot.keyClick(widget, Qt.Key.Key_Right)
    assert moved.args[0].id == shown[1].id
    with qtbot.waitSignal(widget.context, timeout=2_000) as context:
        qtbot.keyClick(widget, Qt.Key.Key_Space)
    assert context.args[0].id == shown[1].id


def test_a_decided_hit_leaving_the_list_keeps_the_place(listed) -> None:  # type: ignore[no-untyped-def]
    widget, shown = listed
    widget.setCurrentRow(1)
    widget.set_hits([h for h in shown if h.id != shown[1].id])
    assert widget.currentRow() == 1 or len(shown) == 2
    assert widget.current() is not None and widget.current().id != shown[1].id


def test_caption_shows_volunteer_agreement_when_known(listed) -> None:  # type: ignore[no-untyped-def]
    _widget, shown = listed
    assert caption(shown[0], "volunteers 3/3 person").split("\n") == [
        f"{shown[0].confidence:.2f} · detector",
        "to decide",
        "volunteers 3/3 person",
    ]
