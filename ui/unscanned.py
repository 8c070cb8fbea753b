"""Where frames not scanned yet lie, read from their files, so the map shows the gaps a cancelled or
unfinished scan left (the store learns a frame's position only when the frame is scanned)."""

from __future__ import annotations

from pathlib import Path

from sartriage.errors import SartriageError
from sartriage.frames import open_frame
from sartriage.mission_reads import MapFrames
from sartriage.store import Store
from ui.photo_layer import FrameFileReads, Read

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


class UnscannedLoader(FrameFileReads):
    """Where each frame not scanned yet lies, drawn grey."""

    def read_of(self, frames: MapFrames, i: int, key: int, store: Store) -> Read | None:
        if frames.status[i] not in WAITING or frames.footprints[i]:
            return None
        path = Path(frames.paths[i])
        return (
            lambda: ground_ring(path),
            lambda ring: self.view.place_unscanned(key, ring),  # type: ignore[attr-defined]
        )
