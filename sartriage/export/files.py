"""Writing export files safely: whole or not at all, with errors a user can act on."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sartriage.errors import ExportError


def prepare(path: Path) -> Path:
    """Check the folder of ``path`` exists (create it) and can be written; return the path."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(
            f"{path}: cannot create its folder ({exc.strerror}); choose another output path"
        ) from exc
    if path.is_dir():
        raise ExportError(f"{path}: is a folder; give a file name for the export")
    return path


@contextmanager
def atomic(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; it replaces ``path`` only when the block succeeds.

    A reader (CalTopo, a GPS) never sees a half-written file, and an old export stays intact
    when a new one fails.
    """
    path = prepare(path)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    except OSError as exc:
        raise ExportError(f"{path}: cannot write here ({exc.strerror}); choose another output path") from exc
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as exc:
        raise ExportError(f"{path}: could not be written ({exc.strerror or exc}); check free space") from exc
    finally:
        tmp.unlink(missing_ok=True)


def write_text(path: Path, text: str) -> Path:
    with atomic(path) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="")
    return path


def write_bytes(path: Path, data: bytes) -> Path:
    with atomic(path) as tmp:
        tmp.write_bytes(data)
    return path


@dataclass(frozen=True)
class Written:
    """What an export wrote: the file, how many items, and what it left out and why (one line each)."""

    path: Path
    count: int
    skipped: tuple[str, ...] = ()

    def summary(self) -> str:
        text = f"{self.path}: {self.count} written"
        return text + (f", {len(self.skipped)} left out" if self.skipped else "")
