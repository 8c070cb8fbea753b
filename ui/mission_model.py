"""Scan ▸ Learn from this mission's decisions: `sartriage learn` in the background, its figures shown.

Training takes minutes on a laptop CPU; the dialog shows each stage, and closing it lets the run go on
(its result still arrives here). When it ends, the coordinator reads the figures before and after and
may use the model for the next scans; nothing in the mission changes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtGui import QFontDatabase
from PyQt6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from sartriage.cli.train import needs_training_extra
from sartriage.store import open_store
from ui.tasks import run_in_background


def learn_in(location: str, out: Path, run_dir: Path, progress: Callable[[str, int, int, str], None]) -> Any:
    try:  # a field install may leave the training extra out
        from sartriage.train.mission import learn
    except ImportError as exc:
        raise needs_training_extra("learn", exc) from None
    with open_store(location, create=False) as store:
        return learn(store, out, run_dir, progress=progress)


class MissionModelDialog(QDialog):
    progressed = pyqtSignal(str, int, int, str)  # stage, done, total, note (from the training thread)

    def __init__(
        self,
        location: str,
        out: Path,
        run_dir: Path,
        use: Callable[[Path], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Learn from this mission's decisions")
        self.out, self.use = out, use
        self.status = QLabel(
            "Training a mission model on the tiles you and the volunteers decided, with some photos held "
            f"out to check it. This takes minutes; you can close this window and keep working.\nModel: {out}"
        )
        self.status.setWordWrap(True)
        self.bar = QProgressBar()
        self.stage = QLabel("reading the decided tiles…")
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.use_button = QPushButton("Use it for the next scans")
        self.use_button.setToolTip(
            "Scans started from now on use this model; the mission's tiles stay as they are"
        )
        self.use_button.setEnabled(False)
        self.use_button.clicked.connect(self._use)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.use_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.hide)
        layout = QVBoxLayout(self)
        for widget in (self.status, self.bar, self.stage):
            layout.addWidget(widget)
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)
        self.resize(900, 460)
        self.progressed.connect(self._progress)
        run_in_background(
            self, lambda: learn_in(location, out, run_dir, self.progressed.emit), self._done, self._failed,
            bulk=True,
        )  # fmt: skip

    def _progress(self, stage: str, done: int, total: int, note: str) -> None:
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(done)
        self.stage.setText(f"{stage}: {done} of {total}" + (f" ({note})" if note else ""))

    def _done(self, learned: Any) -> None:
        self.bar.setValue(self.bar.maximum())
        self.stage.setText("done")
        self.text.setPlainText("\n".join(learned.describe()))
        self.status.setText(
            f"The mission model is in {learned.model}. Read the figures before and after (on photos it never "
            "saw) before you use it; the mission's tiles are not changed."
        )
        self.use_button.setEnabled(True)
        self.show()

    def _failed(self, message: str) -> None:
        self.stage.setText("stopped")
        self.status.setText(f"No mission model: {message}")
        self.show()

    def _use(self) -> None:
        self.use(self.out)
        self.use_button.setEnabled(False)
        self.use_button.setText("Used for the next scans")
