"""The candidate list over real scanned hits: order, thumbnails of the real pixels, keyboard."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
from pixels import rgb
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QIcon

from sartriage import hits
from sartriage.frames import Window, open_frame
from sartriage.store import Store
from ui import imagery
from ui.candidates import THUMB, CandidateList, caption, how_sure, thumb_side


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
        assert text == f"person {hit.confidence:.2f} · detector\nto decide"
    assert widget.currentRow() == 0


def test_every_score_says_what_it_is(listed: tuple[CandidateList, list[hits.Hit]]) -> None:
    hit = listed[1][0]
    assert how_sure(replace(hit, source="volunteers", confidence=0.875)) == "person 88% · volunteers"
    assert how_sure(replace(hit, source="coordinator", confidence=1.0)) == "marked by the coordinator"


def test_thumbnails_are_the_hits_pixels(qtbot, listed: tuple[CandidateList, list[hits.Hit]]) -> None:  # type: ignore[no-untyped-def]
    widget, shown = listed
    qtbot.waitUntil(lambda: widget.thumbnails_loaded() == len(shown), timeout=30_000)
    hit = shown[0]
    got = rgb(widget._thumbs[hit.id].toImage())
    assert max(got.shape[:2]) == THUMB
    side = thumb_side(hit)
    assert side < max(hit.tile[2], hit.tile[3])  # closer than the whole tile: the person is visible
    rect = imagery.context_rect(hit.x, hit.y, (hit.frame_size[0], hit.frame_size[1]), side)
    with open_frame(Path(hit.frame_path)) as frame:
        window = frame.read(window=Window(*rect))

    expected = cv2.resize(window, (got.shape[1], got.shape[0]), interpolation=cv2.INTER_AREA)
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
        f"person {shown[0].confidence:.2f} · detector",
        "to decide",
        "volunteers 3/3 person",
    ]


def test_the_grid_has_room_for_picture_and_caption_before_pictures_are_read(listed) -> None:  # type: ignore[no-untyped-def]
    widget, shown = listed
    unread = [replace(h, id=h.id + 10_000, frame_path=f"{h.frame_path}.not-there-yet") for h in shown]
    widget.set_hits(unread)  # pictures that cannot be read yet: placeholders only
    widget.doItemsLayout()
    for row in range(len(shown)):
        rect = widget.visualItemRect(widget.item(row))
        assert rect.width() >= THUMB and rect.height() >= THUMB + 2 * widget.fontMetrics().height()


def test_the_chosen_thumbnail_is_not_tinted(qtbot, listed) -> None:  # type: ignore[no-untyped-def]
    widget, shown = listed
    qtbot.waitUntil(lambda: widget.thumbnails_loaded() == len(shown), timeout=30_000)
    icon = widget.currentItem().icon()
    normal = icon.pixmap(THUMB, THUMB, QIcon.Mode.Normal).toImage()
    selected = icon.pixmap(THUMB, THUMB, QIcon.Mode.Selected).toImage()
    assert normal == selected


def test_a_decision_moves_on_to_the_next_hit_to_decide(listed) -> None:  # type: ignore[no-untyped-def]
    widget, shown = listed
    assert all(h.status == "candidate" for h in shown)
    widget.setCurrentRow(0)
    first_confirmed = [replace(shown[0], status="confirmed"), *shown[1:]]
    widget.set_hits(first_confirmed)  # confirmed hits stay listed, but the next one to decide is chosen
    assert widget.current().id == shown[1].id
    widget.set_hits(shown)
    widget.setCurrentRow(len(shown) - 1)
    last_rejected = [*shown[:-1], replace(shown[-1], status="rejected")]
    widget.set_hits(last_rejected)  # rejected leaves the list; wraps round to the first still to decide
    assert widget.current().id == shown[0].id
    all_decided = [replace(h, status="confirmed") for h in shown]
    widget.set_hits(shown)
    widget.setCurrentRow(1)
    widget.set_hits(all_decided)  # nothing left to decide: stay on the hit just decided
    assert widget.current().id == shown[1].id
