"""The review panel over a real scanned mission: server, invitation with QR code, who is online,
queue depth and a disputed tile decided by the coordinator."""

from __future__ import annotations

import socket

import cv2
import httpx
import numpy as np
import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QAbstractButton, QComboBox, QGroupBox, QLabel, QTableWidget, QWidget
from sqlalchemy import select

from sartriage.review import QueueSettings, ReviewQueue
from sartriage.review.links import known_url
from sartriage.snapshot import read_snapshot
from sartriage.store import Store, schema
from ui.review_panel import ReviewPanel


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def qr_text(panel: ReviewPanel) -> str:
    image = panel.qr.pixmap().toImage().convertToFormat(panel.qr.pixmap().toImage().Format.Format_Grayscale8)
    pixels = np.array(image.constBits().asarray(image.sizeInBytes()), dtype=np.uint8).reshape(
        image.height(), image.bytesPerLine()
    )[:, : image.width()]
    # OpenCV's classic detector misreads about 3 % of these valid, crisp codes; the ArUco-based one reads
    # them all (500 of 500 random invite links)
    text, _points, _ = cv2.QRCodeDetectorAruco().detectAndDecode(pixels)
    return str(text)


JARGON = ("sens.", "spec.", "known tiles", "0.0.0.0", "token", "api", "listen")


def shown_words(widget: QWidget) -> str:
    """Every word the panel shows without hovering: labels, buttons, choices, box titles, column heads."""
    words = [w.text() for w in widget.findChildren(QLabel) + widget.findChildren(QAbstractButton)]
    words += [w.title() for w in widget.findChildren(QGroupBox)]
    words += [c.itemText(i) for c in widget.findChildren(QComboBox) for i in range(c.count())]
    for table in widget.findChildren(QTableWidget):
        words += [table.horizontalHeaderItem(i).text() for i in range(table.columnCount())]
    return "\n".join(words).lower()


@pytest.fixture
def panel(qtbot, store: Store) -> ReviewPanel:  # type: ignore[no-untyped-def]
    p = ReviewPanel()
    qtbot.addWidget(p)
    p.set_store(store)
    yield p
    p.shutdown()


def test_server_invite_and_online(qtbot, panel: ReviewPanel) -> None:  # type: ignore[no-untyped-def]
    panel.reach.setCurrentIndex(panel.reach.findData("127.0.0.1"))
    panel.port.setValue(free_port())
    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.server.running is not None, timeout=20_000)
    url = panel.server.running.url
    # the server runs before its answer reaches the panel on the GUI thread
    qtbot.waitUntil(lambda: url in panel.server_label.text(), timeout=10_000)
    assert known_url(panel.store) == url  # `sartriage volunteers add` now makes links to this server
    words = shown_words(panel).replace(panel.server.running.coordinator_token.lower(), "")  # random letters
    assert not [term for term in JARGON if term in words], words
    tips = (
        panel.reach.toolTip() + panel.server_label.toolTip() + panel.people.horizontalHeaderItem(4).toolTip()
    )
    assert all(
        term in tips for term in ("0.0.0.0", "coordinator token", "Sensitivity")
    )  # the terms, on hover
    assert panel.start_button.text() == "Stop review server"
    assert httpx.get(f"{url}/", timeout=10).status_code == 200

    qtbot.keyClicks(panel.name, "Ana Volunteer")
    qtbot.mouseClick(panel.invite_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.link.text() != "", timeout=10_000)
    link = panel.link.text()
    assert link.startswith(f"{url}/#invite=")
    assert qr_text(panel) == link  # the QR code a phone scans opens the same link
    token = link.split("#invite=")[1]

    # the volunteer opens the link: their page joins with the token
    joined = httpx.post(f"{url}/api/v1/join", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert joined.status_code == 200, joined.text
    panel.refresh()

    def ana_online() -> None:
        assert panel.people.rowCount() == 1
        assert panel.people.item(0, 0).text() == "Ana Volunteer"
        assert panel.people.item(0, 1).text() == "●"
        assert panel.people.item(0, 2).text() != "invited"

    qtbot.waitUntil(ana_online, timeout=10_000)
    assert panel.state is not None and panel.state.status.open > 0
    assert f"{panel.state.status.open} tiles waiting" in panel.queue_label.text()

    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    assert panel.server.running is None
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{url}/", timeout=2)


def test_a_taken_port_is_a_sentence(qtbot, panel: ReviewPanel) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        panel.reach.setCurrentIndex(panel.reach.findData("127.0.0.1"))
        panel.port.setValue(busy.getsockname()[1])
        with qtbot.waitSignal(panel.failed, timeout=10_000) as failed:
            qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    assert "cannot be used" in failed.args[0] and "choose another port" in failed.args[0]
    assert panel.server.running is None


def test_disputed_tile_decided_person_becomes_a_confirmed_hit(
    qtbot, panel: ReviewPanel, store: Store
) -> None:  # type: ignore[no-untyped-def]
    # three volunteers disagree on one real review tile, with no more answers allowed: it is escalated
    queue = ReviewQueue(
        store, QueueSettings(overlap=3, max_overlap=3, exam_size=0, honeypot_rate=0.0, seed=3)
    )
    queue.sync()
    tile = None
    crew = [queue.invite(name)[0] for name in "abc"]  # a crew of three at work: the tile waits for all
    for volunteer, answer in zip(crew, ("person", "no_person", "person"), strict=True):
        queue.join(volunteer.id)
        lease = queue.next_lease(volunteer.id)
        assert lease is not None
        if tile is None:
            tile = lease.public_id
        queue.answer(volunteer.id, lease.public_id, answer)
    open_disputes = queue.escalations()
    assert open_disputes, "three split answers at the maximum overlap are escalated"
    panel.refresh()
    qtbot.waitUntil(lambda: panel.escalations.count() == len(open_disputes), timeout=10_000)
    dispute = open_disputes[0]
    assert f"tile {dispute.tile_id}:" in panel.escalations.item(0).text()

    with qtbot.waitSignal(panel.show_tile, timeout=5_000) as shown:
        panel.escalations.setCurrentRow(0)
    assert shown.args == [dispute.tile_id]
    with qtbot.waitSignal(panel.decided, timeout=10_000):
        qtbot.mouseClick(panel.person_button, Qt.MouseButton.LeftButton)
    with store.connect() as conn:
        decision = conn.execute(
            select(schema.escalations.c.decision).where(schema.escalations.c.id == dispute.id)
        ).scalar()
        hit = conn.execute(
            select(schema.hits.c.status, schema.hits.c.source).where(
                schema.hits.c.tile_id == dispute.tile_id, schema.hits.c.source == "volunteers"
            )
        ).one()
    assert decision == "person"
    assert tuple(hit) == ("confirmed", "volunteers")
    # the coordinator's list shows the confirmed tile with how the volunteers answered it
    snapshot = read_snapshot(store)
    confirmed = next(h for h in snapshot.hits if h.tile_id == dispute.tile_id and h.source == "volunteers")
    assert snapshot.agreement[confirmed.id] == "volunteers 2/3 person"
    panel.refresh()
    qtbot.waitUntil(lambda: panel.escalations.count() == len(open_disputes) - 1, timeout=10_000)


def test_qr_code_of_a_long_link_decodes(qtbot) -> None:  # type: ignore[no-untyped-def]
    from ui.review_panel import qr_pixmap

    link = "http://192.168.1.23:8000/#invite=" + "x" * 32
    panel = ReviewPanel()
    qtbot.addWidget(panel)
    panel.qr.setPixmap(qr_pixmap(link))
    assert qr_text(panel) == link
