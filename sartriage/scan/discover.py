"""Finding frames in a flight folder and naming them by content, so a re-copied card is not scanned twice."""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from sartriage.errors import FrameError

log = logging.getLogger(__name__)

FOUND_SUFFIXES = frozenset({".jpg", ".jpeg", ".tif", ".tiff"})
_BLOCK = 1 << 20


def is_frame_file(path: Path) -> bool:
    """A photo or raster the scan reads: JPEG or TIFF by suffix (any case), not a hidden file."""
    return path.suffix.lower() in FOUND_SUFFIXES and not path.name.startswith(".")


def _outside(entry: Path, root: Path) -> bool:
    try:
        entry.resolve().relative_to(root)
    except (ValueError, OSError, RuntimeError):  # elsewhere, or a broken or looping link
        return True
    return False


# what a drone card also holds that the scan does not read: counted, so the summary can say so
NOT_READ_SUFFIXES = frozenset(
    {".png", ".dng", ".heic", ".heif", ".webp", ".bmp", ".raw", ".arw", ".cr2", ".cr3", ".nef", ".rw2",
     ".mp4", ".mov", ".avi", ".mkv", ".insv"}
)  # fmt: skip


def find_frames(
    folder: Path, follow_links: bool = False, not_read: Counter[str] | None = None
) -> Iterator[Path]:
    """Every frame under ``folder``, recursively, in a stable (sorted) order; hidden folders are skipped,
    and a folder reached twice (a link back up the tree) is read once.

    Links leading outside ``folder`` (a ``DCIM`` link to someone's photos) are left out unless
    ``follow_links``; so are files that are not regular files (a FIFO would block the scan for ever).
    Both are logged as warnings. Other photos and videos (PNG, RAW, MP4, ...) are counted by ending into
    ``not_read`` when given."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FrameError(f"{folder}: not a folder; give the folder the drone photos were copied to")
    root = folder.resolve()
    stack = [folder]
    visited: set[Path] = set()
    while stack:
        current = stack.pop()
        real = current.resolve()
        if real in visited:
            continue
        visited.add(real)
        try:
            entries = sorted(current.iterdir(), key=lambda p: p.name)
        except OSError as exc:
            log.warning("%s: cannot list this folder (%s); its frames are left out", current, exc.strerror)
            continue
        subfolders = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_symlink() and not follow_links and _outside(entry, root):
                log.warning(
                    "%s: a link to outside the scanned folder; left out (--follow-links takes it)", entry
                )
                continue
            if entry.is_dir():
                subfolders.append(entry)
            elif is_frame_file(entry):
                if entry.is_file():
                    yield entry
                elif entry.exists():
                    log.warning("%s: not a regular file (a pipe, socket or device); skipped", entry)
            elif not_read is not None and entry.suffix.lower() in NOT_READ_SUFFIXES:
                not_read[entry.suffix.lower()] += 1
        stack.extend(reversed(subfolders))


def content_hash(path: Path) -> str:
    """The sha256 of a file's bytes, read in blocks so a large raster never sits in memory."""
    digest = hashlib.sha256()
    try:
        with Path(path).open("rb") as stream:
            while block := stream.read(_BLOCK):
                digest.update(block)
    except OSError as exc:
        raise FrameError(f"{path}: cannot read the file ({exc.strerror or exc})") from exc
    return digest.hexdigest()
