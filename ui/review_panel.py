"""Volunteer review from the coordinator's seat: the server, invitations, who is online, the queue,
and the disputed tiles only the coordinator can decide."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from PyQt6.QtCore import Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QGuiApplication, QImage, QPixmap
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from sartriage.mission_reads import volunteers_last_seen
from sartriage.review import Accuracy, Escalation, QueueStatus, ReviewQueue, Volunteer, invite_link
from sartriage.review.links import DEFAULT_PORT
from sartriage.review.people import ACTIVE_SECONDS
from sartriage.store import Store, utcnow
from ui.review_server import ReviewServer, Running
from ui.tasks import run_in_background

QR_MODULE_PX = 6
ESCALATION_ID = Qt.ItemDataRole.UserRole


@dataclass(frozen=True)
class ReviewState:
    status: QueueStatus
    volunteers: list[tuple[Volunteer, int, Accuracy]]
    last_seen: dict[int, datetime | None]
    escalations: list[Escalation]


def read_review(store: Store) -> ReviewState:
    queue = ReviewQueue(store)
    return ReviewState(queue.status(), queue.volunteers(), volunteers_last_seen(store), queue.escalations())


def qr_pixmap(text: str) -> QPixmap:
    """The QR code of text, black on white, ready to show or to photograph off the screen."""
    from sartriage.export.cards import qr_matrix  # the exports' QR code (segno); loads matplotlib once

    matrix = qr_matrix(text)
    pixels = np.where(matrix.astype(bool), 0, 255).astype(np.uint8)
    pixels = np.ascontiguousarray(np.kron(pixels, np.ones((QR_MODULE_PX, QR_MODULE_PX), dtype=np.uint8)))
    h, w = pixels.shape
    return QPixmap.fromImage(QImage(pixels.tobytes(), w, h, w, QImage.Format.Format_Grayscale8).copy())


REACH = (("every device on this network", "0.0.0.0"), ("this computer only", "127.0.0.1"))
SEES_PEOPLE_TIP = (
    "Sensitivity: of the tiles you decided show a person, the share this volunteer called 'person'"
)
CLEARS_EMPTY_TIP = "Specificity: of the tiles you decided are empty, the share this volunteer called empty"


def _rate(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


class ReviewPanel(QWidget):
    show_tile = pyqtSignal(int)  # tile id of an escalation, to look at it
    decided = pyqtSignal()  # a dispute was decided (a "person" decision makes a confirmed hit)
    failed = pyqtSignal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store: Store | None = None
        self.server = ReviewServer()
        self.last_invite = ""
        self.state: ReviewState | None = None
        self._reading = False

        self.reach = QComboBox()
        for words, address in REACH:
            self.reach.addItem(words, address)
        self.reach.setToolTip(
            "The address the server listens on: 0.0.0.0 (every network this computer is on) or "
            "127.0.0.1 (this computer only). `sartriage review-server --host` takes any other."
        )
        self.port = QSpinBox()
        self.port.setRange(1024, 65535)
        self.port.setValue(DEFAULT_PORT)
        self.start_button = QPushButton("Start review server")
        self.start_button.clicked.connect(self._start_stop)
        self.server_label = QLabel("Not running.")
        self.server_label.setWordWrap(True)
        self.server_label.setToolTip("The key is the coordinator token of the review server's HTTP API")
        self.server_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        server_box = QGroupBox("Server")
        form = QFormLayout(server_box)
        self.port.setToolTip("The number after the colon in the volunteers' address")
        form.addRow("Open to", self.reach)
        form.addRow("Port", self.port)
        form.addRow(self.start_button)
        form.addRow(self.server_label)

        self.name = QLineEdit()
        self.name.setPlaceholderText("volunteer's name")
        self.invite_button = QPushButton("Invite")
        self.invite_button.clicked.connect(self._invite)
        self.name.returnPressed.connect(self._invite)
        self.link = QLineEdit()
        self.link.setReadOnly(True)
        self.copy_link = QPushButton("Copy link")
        self.copy_link.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.link.text()))
        self.qr = QLabel()
        self.qr.setAlignment(Qt.AlignmentFlag.AlignCenter)
        invite_box = QGroupBox("Invite a volunteer (the link is shown once)")
        inv = QVBoxLayout(invite_box)
        r = QHBoxLayout()
        r.addWidget(self.name, 1)
        r.addWidget(self.invite_button)
        inv.addLayout(r)
        r = QHBoxLayout()
        r.addWidget(self.link, 1)
        r.addWidget(self.copy_link)
        inv.addLayout(r)
        inv.addWidget(self.qr)

        self.queue_label = QLabel("–")
        self.queue_label.setWordWrap(True)
        self.people = QTableWidget(0, 6)
        self.people.setHorizontalHeaderLabels(
            ("Volunteer", "Online", "State", "Answers", "Sees people", "Clears empty")
        )
        for column, tip in ((4, SEES_PEOPLE_TIP), (5, CLEARS_EMPTY_TIP)):
            self.people.horizontalHeaderItem(column).setToolTip(tip)
        self.people.verticalHeader().setVisible(False)
        self.people.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.people.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.people.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.people.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.revoke_button = QPushButton("Revoke selected volunteer")
        self.revoke_button.clicked.connect(self._revoke)

        self.escalations = QListWidget()
        self.escalations.currentItemChanged.connect(self._escalation_chosen)
        self.person_button = QPushButton("Person")
        self.no_person_button = QPushButton("No person")
        self.person_button.clicked.connect(lambda: self._decide("person"))
        self.no_person_button.clicked.connect(lambda: self._decide("no_person"))
        decide = QHBoxLayout()
        decide.addWidget(self.person_button)
        decide.addWidget(self.no_person_button)

        layout = QVBoxLayout(self)
        layout.addWidget(server_box)
        layout.addWidget(invite_box)
        layout.addWidget(QLabel("Queue"))
        layout.addWidget(self.queue_label)
        layout.addWidget(self.people, 1)
        layout.addWidget(self.revoke_button)
        layout.addWidget(QLabel("Disputed tiles to decide"))
        layout.addWidget(self.escalations, 1)
        layout.addLayout(decide)

        self.timer = QTimer(self)
        self.timer.setInterval(3000)
        self.timer.timeout.connect(self.refresh)
        self.set_store(None)

    # -- mission ---------------------------------------------------------------------------------
    def set_store(self, store: Store | None) -> None:
        """Work on this mission (None: none); the last mission's server, link and volunteers are gone."""
        if self.server.is_running:
            self.server.stop()
        self.store = store
        self.state = None
        self.last_invite = ""
        for field in (self.link, self.name):
            field.clear()
        self.qr.clear()
        self.queue_label.setText("–")
        self.people.setRowCount(0)
        self.escalations.clear()
        self.person_button.setEnabled(False)
        self.no_person_button.setEnabled(False)
        for w in (self.start_button, self.invite_button, self.revoke_button):
            w.setEnabled(store is not None)
        self._server_changed(None)
        if store is None:
            self.timer.stop()
        else:
            self.timer.start()
            self.refresh()

    def refresh(self) -> None:
        if self.store is None or self._reading:
            return
        self._reading = True
        store = self.store
        run_in_background(self, lambda: read_review(store), self._show, self._read_failed)

    def _read_failed(self, message: str) -> None:
        self._reading = False
        self.failed.emit(message)

    def _show(self, state: ReviewState) -> None:
        self._reading = False
        self.state = state
        s = state.status
        self.queue_label.setText(
            f"{s.open} tiles waiting · {s.leased} being looked at · {s.done} done · {s.answers} answers\n"
            f"{s.active_volunteers} of {s.volunteers} volunteers online · {s.candidates} volunteer "
            f"candidates · {s.open_escalations} disputes to decide · {s.honeypots} tiles you decided, "
            "shown to check volunteers"
        )
        since = utcnow() - timedelta(seconds=ACTIVE_SECONDS)
        self.people.setRowCount(len(state.volunteers))
        for row, (v, answers, acc) in enumerate(state.volunteers):
            seen = state.last_seen.get(v.id)
            online = (
                seen is not None and (seen if seen.tzinfo else seen.replace(tzinfo=since.tzinfo)) >= since
            )
            stage = "revoked" if v.revoked else (v.exam_state if v.joined_at else "invited")
            cells = (
                v.name,
                "●" if online else "",
                stage,
                str(answers),
                _rate(acc.sensitivity),
                _rate(acc.specificity),
            )
            for col, text in enumerate(cells):
                cell = QTableWidgetItem(text)
                cell.setData(Qt.ItemDataRole.UserRole, v.id)
                self.people.setItem(row, col, cell)
        current = self.escalations.currentItem()
        keep = current.data(ESCALATION_ID) if current is not None else None
        self.escalations.blockSignals(True)
        self.escalations.clear()
        for e in state.escalations:
            votes = ", ".join(f"{k.replace('_', ' ')} {n}" for k, n in sorted(e.answers.items()))
            p = f"p(person) {e.posterior:.2f}" if e.posterior is not None else ""
            item = QListWidgetItem(f"tile {e.tile_id}: {votes} {p} — {e.reason}")
            item.setData(ESCALATION_ID, e.id)
            item.setData(Qt.ItemDataRole.UserRole + 1, e.tile_id)
            self.escalations.addItem(item)
            if e.id == keep:
                self.escalations.setCurrentItem(item)
        self.escalations.blockSignals(False)
        has = self.escalations.count() > 0
        self.person_button.setEnabled(has)
        self.no_person_button.setEnabled(has)

    # -- server -------------------------------------------------------------------------------------
    def _start_stop(self) -> None:
        if self.store is None:
            return
        if self.server.is_running:
            self.server.stop()
            self._server_changed(None)
            return
        store, host, port = self.store, self.reach.currentData(), self.port.value()
        self.start_button.setEnabled(False)
        self.server_label.setText("Starting…")
        run_in_background(
            self, lambda: self.server.start(store, host, port), self._server_changed, self._start_failed
        )

    def _start_failed(self, message: str) -> None:
        self._server_changed(None)
        self.failed.emit(message)

    def _server_changed(self, running: Running | None) -> None:
        self.start_button.setEnabled(self.store is not None)
        self.start_button.setText("Stop review server" if running else "Start review server")
        self.reach.setEnabled(running is None)
        self.port.setEnabled(running is None)
        if running is None:
            self.server_label.setText("Not running.")
        else:
            self.server_label.setText(
                f"Volunteers open {running.url}/ with their invite link.\n"
                f"Key for scripts (keep it private): {running.coordinator_token}"
            )

    def base_url(self) -> str:
        running = self.server.running
        return running.url if running else f"http://{self.reach.currentData()}:{self.port.value()}"

    # -- volunteers ---------------------------------------------------------------------------------
    def _invite(self) -> None:
        name = self.name.text().strip()
        if self.store is None:
            return
        if not name:
            self.failed.emit("type the volunteer's name first, then press Invite")
            return
        store, base = self.store, self.base_url()

        def invited(result: tuple[Volunteer, str]) -> None:
            _volunteer, token = result
            self.last_invite = invite_link(base, token)
            self.link.setText(self.last_invite)
            self.qr.setPixmap(qr_pixmap(self.last_invite))
            self.name.clear()
            self.refresh()

        run_in_background(
            self, lambda: ReviewQueue(store).invite(name), invited, self.failed.emit, in_order=True
        )

    def _revoke(self) -> None:
        row = self.people.currentRow()
        if self.store is None or row < 0:
            return
        volunteer_id = int(self.people.item(row, 0).data(Qt.ItemDataRole.UserRole))
        store = self.store
        run_in_background(
            self,
            lambda: ReviewQueue(store).revoke(volunteer_id),
            lambda _: self.refresh(),
            self.failed.emit,
            in_order=True,
        )

    # -- escalations --------------------------------------------------------------------------------
    def _escalation_chosen(self, item: QListWidgetItem | None, _old: QListWidgetItem | None) -> None:
        if item is not None:
            self.show_tile.emit(int(item.data(Qt.ItemDataRole.UserRole + 1)))

    def _decide(self, decision: str) -> None:
        item = self.escalations.currentItem() or self.escalations.item(0)
        if self.store is None or item is None:
            return
        escalation_id = int(item.data(ESCALATION_ID))
        store = self.store
        run_in_background(
            self,
            lambda: ReviewQueue(store).decide(escalation_id, decision),
            self._after_decision,
            self.failed.emit,
            in_order=True,
        )

    def _after_decision(self, escalation: Escalation) -> None:
        if escalation.conflict:
            self.failed.emit(f"escalation {escalation.id}: {escalation.conflict}")
        self.decided.emit()

    def shutdown(self) -> None:
        self.timer.stop()
        if self.server.is_running:
            self.server.stop()
