"""The open mission as the widgets see it: one store, and snapshots of it read off the GUI thread.

``Mission`` owns the store handle and announces a fresh :class:`Snapshot`
whenever something may have changed (a scan step, a decision, a timer). Reads
never overlap: a refresh asked for while one runs is done once it ends.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PyQt6.QtCore import QObject, QTimer, pyqtSignal

from sartriage.snapshot import Snapshot, read_snapshot
from sartriage.store import Store, open_store
from ui.tasks import run_in_background

log = logging.getLogger(__name__)

REFRESH_COALESCE_MS = 400


class Mission(QObject):
    opened = pyqtSignal(str)  # store location
    closed = pyqtSignal()
    refreshed = pyqtSignal(object)  # Snapshot
    failed = pyqtSignal(str)  # a sentence for the person
    busy = pyqtSignal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store: Store | None = None
        self.path: Path | None = None
        self.snapshot: Snapshot | None = None
        self._reading = False
        self._again = False
        self._soon = QTimer(self)
        self._soon.setSingleShot(True)
        self._soon.setInterval(REFRESH_COALESCE_MS)
        self._soon.timeout.connect(self.refresh)

    def open(self, path: Path, on_open: Callable[[], None] | None = None) -> None:
        """Open (or create) the mission store at path, off the GUI thread."""

        def opened(store: Store) -> None:
            self.close()
            self.store, self.path = store, path
            self.opened.emit(store.location)
            self.refresh()
            if on_open is not None:
                on_open()

        self.busy.emit(True)
        run_in_background(self, lambda: open_store(path), opened, self._failed)

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None
            self.path = None
            self.snapshot = None
            self.closed.emit()

    def refresh_soon(self) -> None:
        """Refresh once shortly: many scan steps in a burst make one read, not one each."""
        if not self._soon.isActive():
            self._soon.start()

    def refresh(self) -> None:
        if self.store is None:
            return
        if self._reading:
            self._again = True
            return
        self._reading = True
        store = self.store
        run_in_background(self, lambda: read_snapshot(store), self._read, self._read_failed)

    def _read(self, snapshot: Snapshot) -> None:
        self._reading = False
        self.busy.emit(False)
        self.snapshot = snapshot
        self.refreshed.emit(snapshot)
        if self._again:
            self._again = False
            self.refresh()

    def _read_failed(self, message: str) -> None:
        self._reading = False
        self._again = False
        self._failed(message)

    def _failed(self, message: str) -> None:
        self.busy.emit(False)
        self.failed.emit(message)

    def act(self, call: Callable[[Store], Any], on_done: Callable[[Any], None] | None = None) -> None:
        """Run a core action on the store off the GUI thread, after every action asked for before it,
        then refresh."""
        if self.store is None:
            self.failed.emit("no mission is open: open or create one first (File menu)")
            return
        store = self.store

        def done(result: Any) -> None:
            if on_done is not None:
                on_done(result)
            self.refresh()

        run_in_background(self, lambda: call(store), done, self._failed, in_order=True)
