"""Triage thresholds for the next scans: the model card's, or the coordinator's own."""

from __future__ import annotations

from PyQt6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QWidget,
)


class ThresholdsDialog(QDialog):
    def __init__(self, review: float | None, flag: float | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Triage thresholds")
        self.use_card = QCheckBox("Use the detector's own thresholds")
        self.use_card.setToolTip("The thresholds written in the model card (.toml) beside the detector model")
        self.use_card.setChecked(review is None and flag is None)
        self.review = self._spin(review if review is not None else 0.25)
        self.flag = self._spin(flag if flag is not None else 0.6)
        self.warning = QLabel("")
        self.warning.setStyleSheet("color: #b00")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(self.use_card)
        form.addRow("Send to volunteers from score", self.review)
        form.addRow("Flag for the coordinator from score", self.flag)
        form.addRow(
            QLabel(
                "Lower thresholds: fewer people missed, more tiles to look at. Applies at once to the "
                "tiles of the open mission (no new detector run) and to the next scans."
            )
        )
        form.addRow(self.warning)
        form.addRow(buttons)
        self.use_card.toggled.connect(self._toggle)
        self._toggle(self.use_card.isChecked())

    @staticmethod
    def _spin(value: float) -> QDoubleSpinBox:
        spin = QDoubleSpinBox()
        spin.setRange(0.0, 1.0)
        spin.setDecimals(2)
        spin.setSingleStep(0.05)
        spin.setValue(value)
        return spin

    def _toggle(self, use_card: bool) -> None:
        self.review.setEnabled(not use_card)
        self.flag.setEnabled(not use_card)

    def _accept(self) -> None:
        if not self.use_card.isChecked() and self.flag.value() < self.review.value():
            self.warning.setText("The flag threshold must not be below the review threshold.")
            return
        self.accept()

    def values(self) -> tuple[float | None, float | None]:
        if self.use_card.isChecked():
            return None, None
        return self.review.value(), self.flag.value()
