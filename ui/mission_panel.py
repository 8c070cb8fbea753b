"""Flights of the mission and their scans: progress, speed, time left and failed frames with reasons."""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from sartriage.scan import FlightSummary, ScanProgress
from sartriage.snapshot import Snapshot
from sartriage.words import count

COLUMNS = ("Flight", "Frames", "Failed", "Flagged · review · cleared", "State")


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def tiles_tooltip(flight: FlightSummary) -> str:
    """The rest of the core's summary of a flight, on hover."""
    review = ", ".join(f"{n} {state}" for state, n in sorted(flight.review.items())) or "not queued yet"
    hits = ", ".join(f"{n} {state.replace('_', ' ')}" for state, n in sorted(flight.hits.items())) or "none"
    return (
        f"{flight.detections} detections · {flight.quality_checks} cleared tiles sent to review as "
        f"quality checks\nreview queue: {review}\nhits: {hits}"
    )


def describe(progress: ScanProgress) -> str:
    """The running scan in two lines: what it does now, and how fast and how long still."""
    where = f" · {progress.frame.name}" if progress.frame else ""
    lines = [f"{progress.flight}: {progress.phase}{where}"]
    if progress.phase in ("scanning", "watching") and progress.tiles:
        left = f" · about {duration(progress.eta_s)} left" if progress.eta_s is not None else ""
        mps = progress.megapixels_per_s
        pixels = f"{mps:.1f}" if mps >= 1 else f"{mps:.2f}"
        lines.append(f"{progress.tiles_per_s:.1f} tiles/s · {pixels} million pixels/s{left}")
    if progress.error:
        lines.append(f"failed: {progress.error}")
    if progress.note:
        lines.append(f"note: {progress.note}")
    return "\n".join(lines)


class MissionPanel(QWidget):
    add_flight = pyqtSignal()
    watch_card = pyqtSignal()
    pause = pyqtSignal()
    resume = pyqtSignal()
    cancel = pyqtSignal()
    carry_on = pyqtSignal(list)  # folders with frames left to scan

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel("No mission open. File ▸ New mission… or Open mission…")
        self.title.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._show_failures)
        self.bar = QProgressBar()
        self.bar.setFormat("%v / %m frames")
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.now = QLabel("")
        self.now.setWordWrap(True)
        self.failures = QListWidget()
        self.failures.setWordWrap(True)
        self.failures.setToolTip(
            "Frames that could not be scanned, or whose tiles were not triaged by score, and why"
        )

        self.add_button = QPushButton("Add flight folder…")
        self.watch_button = QPushButton("Watch a card…")
        self.pause_button = QPushButton("Pause")
        self.cancel_button = QPushButton("Cancel")
        self.carry_on_button = QPushButton("Carry on scanning")
        self.carry_on_button.setToolTip("Scan the frames an earlier session left unfinished")
        self.add_button.clicked.connect(self.add_flight)
        self.watch_button.clicked.connect(self.watch_card)
        self.pause_button.clicked.connect(self._pause_clicked)
        self.cancel_button.clicked.connect(self.cancel)
        self.carry_on_button.clicked.connect(lambda: self.carry_on.emit(self._unfinished()))

        buttons = QGridLayout()  # two by two, so the panel fits beside the map on a 1280-wide screen
        for i, b in enumerate((self.add_button, self.watch_button, self.pause_button, self.cancel_button)):
            buttons.addWidget(b, i // 2, i % 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(buttons)
        layout.addWidget(self.table, 2)
        layout.addWidget(self.bar)
        layout.addWidget(self.now)
        layout.addWidget(self.carry_on_button)
        layout.addWidget(QLabel("Failed frames (select a flight):"))
        layout.addWidget(self.failures, 1)

        self._flights: list[FlightSummary] = []
        self._live: dict[str, ScanProgress] = {}  # folder -> last progress of this session's scan
        self._states: dict[str, str] = {}  # folder -> scan state
        self._paused = False
        self._last: ScanProgress | None = None
        self.set_mission(None)

    # -- inputs ------------------------------------------------------------------------------------
    def set_mission(self, location: str | None) -> None:
        self.title.setText(
            f"Mission: {location}" if location else "No mission open. File ▸ New mission… or Open mission…"
        )
        for b in (self.add_button, self.watch_button):
            b.setEnabled(location is not None)
        self._flights = [] if location is None else self._flights
        self._live.clear()
        self._states.clear()
        self._last = None
        self.now.setText("")
        self.bar.setFormat("no scan yet")  # not "0 / 1 frames" before anything was scanned
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self._render()
        self.set_running(False, False)

    def set_running(self, running: bool, paused: bool) -> None:
        self._paused = paused
        self.pause_button.setEnabled(running)
        self.cancel_button.setEnabled(running)
        self.pause_button.setText("Resume" if paused else "Pause")
        last = self._last
        if last is not None and (paused or not running):  # no speed or time left while nothing runs
            state = "paused: press Resume to carry on" if paused else "stopped"
            if not paused and last.phase == "finished":
                state = "finished"
            self.now.setText(f"{last.flight}: {state}")
        self._update_carry_on()

    def set_snapshot(self, snapshot: Snapshot) -> None:
        self._flights = snapshot.flights
        self._render()

    def set_progress(self, progress: ScanProgress) -> None:
        folder = self._folder_of(progress)
        self._live[folder] = progress
        self._last = progress
        self.now.setText(describe(progress))
        self.bar.setFormat("%v / %m frames")
        self.bar.setRange(0, max(progress.frames_total, 1))
        self.bar.setValue(progress.frames_done + progress.frames_failed)
        self._render()

    def set_state(self, folder: str, state: str) -> None:
        self._states[str(Path(folder).resolve())] = state
        self._render()

    # -- display -----------------------------------------------------------------------------------
    def _folder_of(self, progress: ScanProgress) -> str:
        for f in self._flights:
            if f.flight_id == progress.flight_id:
                return str(Path(f.folder).resolve())
        return progress.flight

    def _render(self) -> None:
        selected = self.table.currentRow()
        self.table.setRowCount(len(self._flights))
        for row, flight in enumerate(self._flights):
            key = str(Path(flight.folder).resolve())
            total = sum(flight.frames.values())
            state = self._states.get(key, "done" if flight.frames_pending == 0 and total else "not running")
            if state == "not running" and flight.frames_pending:
                state = f"{flight.frames_pending} left"
            cells = (
                flight.name,
                f"{flight.frames_done + flight.frames_failed} / {total}",
                str(flight.frames_failed),
                " · ".join(str(flight.tiles.get(state, 0)) for state in ("flagged", "review", "cleared")),
                state,
            )
            for col, text in enumerate(cells):
                item = self.table.item(row, col)
                if item is None:
                    item = QTableWidgetItem()
                    self.table.setItem(row, col, item)
                item.setText(text)
                if col:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            self.table.item(row, 0).setToolTip(flight.folder)
            self.table.item(row, 3).setToolTip(tiles_tooltip(flight))
        if 0 <= selected < len(self._flights):
            self.table.selectRow(selected)
        elif self._flights and selected < 0:
            self.table.selectRow(0)
        self._show_failures()
        self._update_carry_on()

    def _show_failures(self) -> None:
        row = self.table.currentRow()
        self.failures.clear()
        if 0 <= row < len(self._flights):
            flight = self._flights[row]
            for note, frames in flight.triage_notes:
                self.failures.addItem(f"{count(frames, 'frame')} of {note}")
            for path, reason in flight.failures:
                # the core's reasons start with the file's path; the name is enough here
                short = reason.split(": ", 1)[1] if reason.startswith(path) else reason
                self.failures.addItem(f"{Path(path).name}: {short}")
                self.failures.item(self.failures.count() - 1).setToolTip(f"{path}\n{reason}")
            more = flight.frames_failed - len(flight.failures)
            if more > 0:
                self.failures.addItem(f"… and {more} more (sartriage status --db … lists them all)")

    def _unfinished(self) -> list[str]:
        busy = {k for k, s in self._states.items() if s not in ("finished", "stopped")}
        return [
            f.folder for f in self._flights if f.frames_pending and str(Path(f.folder).resolve()) not in busy
        ]

    def _update_carry_on(self) -> None:
        left = self._unfinished()
        self.carry_on_button.setVisible(bool(left))
        if left:
            n = sum(f.frames_pending for f in self._flights if f.folder in left)
            self.carry_on_button.setText(f"Carry on scanning ({count(n, 'frame')} left)")

    def _pause_clicked(self) -> None:
        (self.resume if self._paused else self.pause).emit()
