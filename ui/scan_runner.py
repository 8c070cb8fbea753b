"""Scans run one at a time on a worker thread, each a pull of the core's scan generator.

Several flights can be queued (one set of detectors, one GPU). Pause stops pulling (the
core's readers then wait on their full queue), resume pulls again, cancel
closes the generator (the core gives its unfinished claims back). Each frame is
committed by the core as it finishes, so a crash or a cancel loses nothing and
the next scan of the same folder carries on where this one stopped.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from PyQt6.QtCore import QObject, pyqtSignal

from sartriage.detect.choice import Models
from sartriage.scan import ScanOptions, ScanProgress, scan
from sartriage.store import Store
from ui.tasks import GeneratorWorker

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScanJob:
    folder: Path
    watch: bool = False  # a card still being copied: keep taking new files until stopped
    model: Path | None = None  # None: the shipped model of each kind of imagery (RGB, thermal)
    device: str = "auto"
    review: float | None = None  # triage thresholds; None: the model card's
    flag: float | None = None
    dem: Path | None = None  # terrain model every photo's rays meet; None: flat ground at take-off height


class ScanQueue(QObject):
    progressed = pyqtSignal(object)  # ScanProgress
    state = pyqtSignal(
        str, str
    )  # folder, "queued" | "opening model" | "scanning" | "paused" | "watching" | ...
    failed = pyqtSignal(str)
    idle = pyqtSignal()
    opened = pyqtSignal(str, str)  # the models' names, the ONNX Runtime provider they run on ("CPU", "CUDA")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store: Store | None = None
        self._waiting: deque[ScanJob] = deque()
        self._worker: GeneratorWorker | None = None
        self.current: ScanJob | None = None
        self.last: ScanProgress | None = None

    @property
    def running(self) -> bool:
        return self._worker is not None

    @property
    def paused(self) -> bool:
        return self._worker is not None and self._worker.paused

    def queued(self) -> list[ScanJob]:
        return list(self._waiting)

    def add(self, job: ScanJob) -> None:
        if (self.current is not None and self.current.folder == job.folder) or any(
            j.folder == job.folder for j in self._waiting
        ):
            self.failed.emit(f"{job.folder}: this folder is already being scanned or waiting to be")
            return
        self._waiting.append(job)
        self.state.emit(str(job.folder), "queued")
        self._next()

    def _next(self) -> None:
        if self._worker is not None or self.store is None:
            return
        if not self._waiting:
            self.current = None
            self.idle.emit()
            return
        job = self._waiting.popleft()
        self.current = job
        store = self.store

        def run() -> Iterator[ScanProgress]:
            models = Models.open(job.model, device=job.device)
            log.info("scanning %s with %s", job.folder, models.describe())
            self.opened.emit(models.label(), models.fallback.provider)
            options = ScanOptions(watch=job.watch, review=job.review, flag=job.flag, dem=job.dem)
            return scan(store, job.folder, models, options)

        worker = GeneratorWorker(run)
        worker.progressed.connect(self._progress)
        worker.failed.connect(self._failed)
        worker.ended.connect(self._ended)
        self._worker = worker
        self.state.emit(str(job.folder), "opening model")
        worker.start()

    def _progress(self, progress: ScanProgress) -> None:
        self.last = progress
        self.progressed.emit(progress)
        if self.current is not None and not self.paused:
            self.state.emit(str(self.current.folder), progress.phase)

    def _failed(self, message: str) -> None:
        job = self.current
        self.failed.emit(f"scan of {job.folder.name if job else 'a folder'} stopped: {message}")

    def _ended(self, completed: bool) -> None:
        worker, job = self._worker, self.current
        if worker is not None:
            worker.wait()
            worker.deleteLater()
        self._worker = None
        if job is not None:
            self.state.emit(str(job.folder), "finished" if completed else "stopped")
        self.current = None
        self._next()

    def pause(self) -> None:
        if self._worker is not None and self.current is not None:
            self._worker.pause()
            self.state.emit(str(self.current.folder), "paused")

    def resume(self) -> None:
        if self._worker is not None and self.current is not None:
            self._worker.resume()
            self.state.emit(str(self.current.folder), "scanning")

    def cancel(self) -> None:
        """Stop the running scan (work done so far is kept) and drop the queued ones."""
        for job in self._waiting:
            self.state.emit(str(job.folder), "stopped")
        self._waiting.clear()
        if self._worker is not None:
            self._worker.cancel()

    def shutdown(self, timeout_ms: int = 30_000) -> None:
        """Cancel and wait for the worker (closing the window)."""
        self.cancel()
        if self._worker is not None:
            self._worker.wait(timeout_ms)
