"""Help ▸ About this computer: the same report as `sartriage doctor`, checked in the background."""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtGui import QFontDatabase
from PyQt6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from sartriage.doctor import diagnose, report
from ui.tasks import run_in_background

SECONDS = 3.0  # the timed run: long enough for a steady figure, short enough to wait for


class AboutComputer(QDialog):
    """Opens at once with "checking…"; the report replaces it when the checks are done."""

    def __init__(self, mission: Path, device: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About this computer")
        self.status = QLabel("Checking this computer: GPU, libraries, disk, and a few seconds of the model…")
        self.status.setWordWrap(True)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)
        self.resize(900, 420)
        run_in_background(
            self, lambda: report(diagnose(mission, seconds=SECONDS, device=device)), self._show, self._failed
        )

    def _show(self, text: str) -> None:
        problems = text.count("fix:")
        self.status.setText(
            "Everything needed for a search works here." if not problems
            else f"{problems} thing(s) to fix: each is followed by its fix."
        )  # fmt: skip
        self.text.setPlainText(text)

    def _failed(self, message: str) -> None:
        self.status.setText(f"The check stopped: {message}")
