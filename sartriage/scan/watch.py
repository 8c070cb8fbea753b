"""``--watch``: frames that appear while a card is still being copied, taken once their size is stable."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sartriage.scan.discover import find_frames


class StableFiles:
    """Remembers each file's size and modification time between polls; a file is ready when both held still
    over one whole poll interval (a copy in progress keeps growing)."""

    def __init__(self) -> None:
        self._seen: dict[Path, tuple[int, int]] = {}
        self._ready: set[Path] = set()

    def poll(self, paths: Iterable[Path]) -> list[Path]:
        """The files that became ready since the last poll."""
        now: dict[Path, tuple[int, int]] = {}
        for path in paths:
            try:
                st = path.stat()
            except OSError:  # removed or renamed between listing and stat
                continue
            now[path] = (st.st_size, st.st_mtime_ns)
        ready = [p for p, sig in now.items() if p not in self._ready and self._seen.get(p) == sig]
        self._ready.update(ready)
        self._seen = now
        return ready

    def poll_folder(self, folder: Path, follow_links: bool = False) -> list[Path]:
        return self.poll(find_frames(folder, follow_links))
