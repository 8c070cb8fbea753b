"""The status bar's word on the detector: which model, whether it runs on the GPU or the CPU, how fast."""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtWidgets import QLabel, QWidget

from sartriage.detect.card import find_card
from sartriage.detect.choice import shipped_label
from sartriage.errors import SartriageError
from sartriage.scan import ScanProgress

WHERE = {"CPU": "on the CPU", "CUDA": "on the GPU (CUDA)", "TensorRT": "on the GPU (TensorRT)"}


class DetectorStatus(QLabel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = shipped_label()
        self.where = ""  # known once a scan opened the model
        self.speed = ""
        self._show()

    def set_model(self, path: Path | None) -> None:
        """The model at ``path`` (None: the shipped model of each kind of imagery), named by its card."""
        if path is None:
            self.chosen(shipped_label())
            return
        try:
            card = find_card(path)
            self.chosen(card.name or card.file)
        except SartriageError:
            self.chosen(f"{path.name} (cannot be used yet)")

    def chosen(self, name: str) -> None:
        """The model the next scans use; where it runs is told again when a scan opens it."""
        self.model, self.where, self.speed = name, "", ""
        self._show()

    def opened(self, name: str, provider: str) -> None:
        self.model, self.where = name, WHERE.get(provider, f"on {provider}")
        self.setToolTip(f"ONNX Runtime runs the detector with its {provider} execution provider")
        self._show()

    def progressed(self, progress: ScanProgress) -> None:
        if progress.phase in ("scanning", "watching") and progress.tiles:
            self.speed = f"{progress.tiles_per_s:.1f} tiles/s"
            self._show()

    def _show(self) -> None:
        where = self.where or "GPU or CPU: shown when a scan starts"
        self.setText(" · ".join(p for p in (f"Detector: {self.model}", where, self.speed) if p))
