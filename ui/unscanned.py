"""Where frames not scanned yet lie, read from their files, so the map shows the gaps a cancelled or
unfinished scan left (the store learns a frame's position only when the frame is scanned)."""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtCore import QObject

from sartriage.errors import SartriageError
from sartriage.frames import open_frame
from sartriage.mission_reads import MapFrames
from ui.tasks import OncePerKey

WAITING = ("pending", "claimed")


def ground_ring(path: Path) -> list[list[float]] | None:
    """The frame's footprint, or its GPS position alone; None when the file gives neither."""
    try:
        with open_frame(path) as frame:
            ring = frame.georef.footprint()
            if ring:
                return [[lon, lat] for lon, lat in ring]
            lon, lat = frame.meta.lon, frame.meta.lat
    except (SartriageError, OSError):
        return None  # the scan will say why, frame by frame
    return None if lon is None or lat is None else [[lon, lat]]


class UnscannedLoader(QObject):
    def __init__(self, view: QObject, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.reads = OncePerKey(self)

    def show(self, frames: MapFrames) -> None:
        for i, frame_id in enumerate(frames.ids):
            key = int(frame_id)
            if frames.status[i] not in WAITING or frames.footprints[i] or self.reads.asked(key):
                continue
            path = Path(frames.paths[i])
            self.reads.ask(
                key,
                lambda p=path: ground_ring(p),  # type: ignore[misc]
                lambda ring, k=key: self.view.place_unscanned(k, ring),  # type: ignore[attr-defined,misc]
            )
