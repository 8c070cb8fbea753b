"""The chosen hit: where it is in every notation, and what the coordinator can do with it."""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QGuiApplication
from PyQt6.QtWidgets import (
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QInputDialog,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from sartriage.coords import geo_uri, lat_lon_decimal, lat_lon_dms, to_mgrs, to_utm
from sartriage.hits import TRANSITIONS, Hit
from ui.candidates import how_sure
from ui.closeup import CloseUp
from ui.geo import format_all

# button label, action name of sartriage.hits.ACTIONS, status it moves the hit to
BUTTONS = (
    ("Confirm (Y)", "confirm", "confirmed"),
    ("Reject (N)", "reject", "rejected"),
    ("Found", "found", "found"),
    ("Not found", "not-found", "not_found"),
    ("Reopen", "reopen", "candidate"),
)


def clipboard_text(hit: Hit) -> str:
    """What "Copy coordinates" puts on the clipboard: every notation, the error radius and a geo: URI."""
    if hit.lon is None or hit.lat is None:
        return f"hit {hit.id}: no ground position (frame {Path(hit.frame_path).name} is not georeferenced)"
    radius = f" ± {hit.error_radius_m:.0f} m" if hit.error_radius_m else ""
    uri = geo_uri(hit.lon, hit.lat, hit.error_radius_m)
    return f"hit {hit.id} ({hit.status}){radius}\n{format_all(hit.lon, hit.lat)}\n{uri}"


class HitPanel(QWidget):
    act = pyqtSignal(int, str)  # hit id, action name
    note = pyqtSignal(int, str)
    export = pyqtSignal()
    show_on_map = pyqtSignal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.hit: Hit | None = None
        self.heading = QLabel("No hit chosen")
        self.heading.setStyleSheet("font-weight: bold; font-size: 14px")
        self.fields: dict[str, QLabel] = {}
        form = QFormLayout()
        for key in (
            "Status",
            "Confidence",
            "Source",
            "Frame",
            "Flight",
            "Decimal",
            "DMS",
            "UTM",
            "MGRS",
            "Error",
        ):
            label = QLabel("–")
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(key, label)
            self.fields[key] = label
        self.notes = QPlainTextEdit()
        self.notes.setReadOnly(True)
        self.notes.setMaximumHeight(60)
        self.buttons: dict[str, QPushButton] = {}
        for text, action, _target in BUTTONS:
            button = QPushButton(text)
            button.clicked.connect(lambda _=False, a=action: self._act(a))
            self.buttons[action] = button
        self.note_button = QPushButton("Add note…")
        self.copy_button = QPushButton("Copy coordinates")
        self.map_button = QPushButton("Show on map")
        self.export_button = QPushButton("Export selection…")
        grid = QGridLayout()  # two columns: the panel fits beside the map on a 1280-wide screen
        placed = (
            *self.buttons.values(),
            self.note_button,
            self.copy_button,
            self.map_button,
            self.export_button,
        )
        for i, button in enumerate(placed):
            grid.addWidget(button, i // 2, i % 2)
        self.note_button.clicked.connect(self._note_clicked)
        self.copy_button.clicked.connect(self.copy_coordinates)
        self.map_button.clicked.connect(self._show_on_map)
        self.export_button.clicked.connect(self.export)
        box = QGroupBox("Actions")
        box.setLayout(grid)
        self.closeup = CloseUp()
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.closeup)
        layout.addLayout(form)
        layout.addWidget(QLabel("Notes"))
        layout.addWidget(self.notes)
        layout.addWidget(box)
        layout.addStretch(1)
        self.set_hit(None)

    def set_hit(self, hit: Hit | None) -> None:
        self.hit = hit
        self.closeup.show_hit(hit)
        for button in (*self.buttons.values(), self.note_button, self.copy_button, self.map_button):
            button.setEnabled(hit is not None)
        if hit is None:
            self.heading.setText("No hit chosen")
            for label in self.fields.values():
                label.setText("–")
            self.notes.setPlainText("")
            return
        self.heading.setText(f"Hit {hit.id}")
        located = hit.lon is not None and hit.lat is not None
        values = {
            "Status": hit.status.replace("_", " "),
            "Confidence": how_sure(hit),
            "Source": hit.source,
            "Frame": Path(hit.frame_path).name,
            "Flight": hit.flight_name,
            "Decimal": lat_lon_decimal(hit.lon, hit.lat) if located else "not georeferenced",  # type: ignore[arg-type]
            "DMS": lat_lon_dms(hit.lon, hit.lat) if located else "–",  # type: ignore[arg-type]
            "UTM": str(to_utm(hit.lon, hit.lat)) if located else "–",  # type: ignore[arg-type]
            "MGRS": to_mgrs(hit.lon, hit.lat) if located else "–",  # type: ignore[arg-type]
            "Error": f"± {hit.error_radius_m:.0f} m" if hit.error_radius_m else "unknown",
        }
        for key, text in values.items():
            self.fields[key].setText(text)
        self.notes.setPlainText(hit.note)
        for _label, action, target in BUTTONS:
            self.buttons[action].setEnabled(hit.status in TRANSITIONS[target])
        self.map_button.setEnabled(located)

    def _show_on_map(self) -> None:
        if self.hit is not None:
            self.show_on_map.emit(self.hit.id)

    def _act(self, action: str) -> None:
        if self.hit is not None:
            self.act.emit(self.hit.id, action)

    def _note_clicked(self) -> None:
        if self.hit is None:
            return
        text, ok = QInputDialog.getMultiLineText(
            self, f"Note on hit {self.hit.id}", "What did you see or hear?"
        )
        if ok and text.strip():
            self.note.emit(self.hit.id, text.strip())

    def copy_coordinates(self) -> None:
        if self.hit is not None:
            clipboard = QGuiApplication.clipboard()
            if clipboard is not None:
                clipboard.setText(clipboard_text(self.hit))
