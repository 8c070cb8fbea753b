"""Copies of the photos volunteers and hit cards need, kept beside the mission store.

The SD card often goes back into the drone for the next flight while volunteers are still reviewing: a
frame with tiles sent to review or flagged has its photo copied, by content hash, into the store's photo
folder when the scan commits it, and whatever needs its pixels later reads the original if it is still
there, else the copy. Frames whose tiles were all cleared are not copied (about half the photos of a
survey). The folder is ``<store>.photos/`` beside a SQLite file, or the one a scan was given with
``--keep-photos`` (recorded in the store, so every process of the mission uses it; a PostgreSQL mission
has no folder of its own beside it).
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from urllib.parse import unquote

from sartriage.errors import StoreError
from sartriage.store.db import Store
from sartriage.store.info import get_info, put_info

log = logging.getLogger(__name__)


PHOTOS_KEY = "photos.kept_in"  # the folder a scan was told to keep copies in (store_info)


def kept_folder(store: Store) -> Path | None:
    """Where the store keeps its copies: the folder recorded with ``keep_photos_in``, else beside a SQLite
    file; None for a server database that was given none."""
    recorded = get_info(store, PHOTOS_KEY)
    if recorded:
        return Path(recorded)
    database = store.engine.url.database
    if not store.is_sqlite or not database or database == ":memory:":
        return None
    if database.startswith("file:"):  # a store opened read-only names its file as a URI
        database = unquote(database.removeprefix("file:"))
    path = Path(database)
    return path.with_name(path.name + ".photos")


def keep_photos_in(store: Store, folder: Path) -> Path:
    """Keep this mission's photo copies in ``folder`` from now on (made if missing, private to the user).

    Every process of the mission reads the copies there, so for a mission on a database server give a
    folder each of them reaches by the same path (a network share)."""
    folder = Path(folder).expanduser().resolve()
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        probe = folder / ".sartriage-write-check"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise StoreError(
            f"{folder}: photos cannot be kept there ({exc.strerror or exc}); give a folder you can write to"
        ) from None
    put_info(store, PHOTOS_KEY, str(folder))
    return folder


def _copy_of(store: Store, path: Path, content_hash: str) -> Path | None:
    folder = kept_folder(store)
    return None if folder is None else folder / f"{content_hash}{path.suffix.lower()}"


def keep_photo(store: Store, path: Path, content_hash: str) -> Path | None:
    """Copy the photo beside the store once (a copy written whole or not at all); None when it cannot be."""
    copy = _copy_of(store, path, content_hash)
    if copy is None or copy.exists():
        return copy
    partial = copy.with_name(copy.name + ".part")
    try:
        copy.parent.mkdir(mode=0o700, exist_ok=True)  # photos of a live search: the owner's, like the store
        shutil.copyfile(path, partial)
        os.replace(partial, copy)
    except OSError as exc:
        log.warning("%s: no copy kept beside the store (%s); its tiles need the photo where it is", path, exc)
        partial.unlink(missing_ok=True)
        return None
    return copy


def kept_line(store: Store, frames_done: int) -> str | None:
    """What the copies cost, in one line (None when none are kept)."""
    folder = kept_folder(store)
    if folder is None or not folder.is_dir():
        return None
    copies = [p for p in folder.iterdir() if p.is_file()]
    if not copies:
        return None
    mb = sum(p.stat().st_size for p in copies) / 1e6
    return (
        f"photos kept for review: {len(copies)} in {folder}/ ({mb:,.0f} MB; about "
        f"{mb / max(frames_done, 1):.1f} GB per 1,000 frames scanned at this rate)"
    )


def photo_to_read(store: Store, path: str | Path, content_hash: str | None) -> Path:
    """The photo itself while it is there, else the copy kept beside the store, else the photo's own path
    (so the error that follows names the file the user knows)."""
    original = Path(path)
    if original.exists() or not content_hash:
        return original
    copy = _copy_of(store, original, content_hash)
    return copy if copy is not None and copy.exists() else original
