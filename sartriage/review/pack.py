"""Honeypot packs: known tiles carried from one mission to the next.

A pack is a zip file holding ``manifest.json`` and, per known tile, its JPEG
and its context JPEG. Exporting writes this mission's known tiles (cut from the
frames, so no path, GPS or EXIF goes along); importing stores the pictures in
the mission store, where they are served like any other tile. Importing a pack
twice adds nothing; one damaged item is skipped and reported, the rest imported.
"""

from __future__ import annotations

import hashlib
import json
import logging
import zipfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from sqlalchemy import select

from sartriage.errors import ExportError, FrameError, ReviewError
from sartriage.review.tiles import TileImages
from sartriage.store import Store, schema, utcnow
from sartriage.store.upsert import insert_if_new

log = logging.getLogger(__name__)

PACK_FORMAT = "sartriage-honeypots"
PACK_VERSION = 1
MAX_ITEMS = 20_000
MAX_IMAGE_BYTES = 8 * 1024 * 1024
MAX_MANIFEST_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class PackReport:
    path: Path
    items: int
    skipped: int
    problems: tuple[str, ...]


def export_pack(store: Store, path: Path, *, images: TileImages | None = None) -> PackReport:
    """Write every active known tile of the mission into a pack at ``path``."""
    images = images or TileImages(store)
    h = schema.honeypots
    with store.connect() as conn:
        rows = conn.execute(select(h.c.id, h.c.truth).where(h.c.active.is_(True)).order_by(h.c.id)).all()
        mission = conn.execute(select(schema.missions.c.name).order_by(schema.missions.c.id)).scalar()
    if not rows:
        raise ReviewError(
            f"{store.location}: no known tiles to export yet; confirm hits or reject candidates first"
        )
    items, problems = [], []
    path = Path(path)
    try:
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as pack:
            for row in rows:
                try:
                    tile, context = images.honeypot(row.id, "tile"), images.honeypot(row.id, "context")
                except FrameError as exc:
                    problems.append(f"known tile {row.id}: {exc}")
                    continue
                digest = hashlib.sha256(tile).hexdigest()
                pack.writestr(f"items/{digest}.jpg", tile)
                pack.writestr(f"items/{digest}-context.jpg", context)
                items.append({"id": digest, "truth": row.truth})
            manifest = {"format": PACK_FORMAT, "version": PACK_VERSION, "mission": mission, "items": items}
            pack.writestr("manifest.json", json.dumps(manifest, indent=1))
    except OSError as exc:
        raise ExportError(
            f"{path}: the pack cannot be written ({exc.strerror or exc}); choose another place"
        ) from exc
    for line in problems:
        log.warning("%s", line)
    return PackReport(path, len(items), len(problems), tuple(problems))


def import_pack(store: Store, path: Path) -> PackReport:
    """Add a pack's known tiles to this mission as honeypots."""
    path = Path(path)
    try:
        pack = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise ReviewError(f"{path}: not a honeypot pack (a zip exported by sartriage): {exc}") from exc
    with pack:
        items, name = _manifest(pack, path)
        added, problems = 0, []
        now = utcnow()
        for number, item in enumerate(items, 1):
            try:
                tile, context, truth, digest = _item(pack, item)
            except ReviewError as exc:
                problems.append(f"{path} item {number}: {exc}")
                continue
            with store.begin() as conn:
                added += insert_if_new(
                    conn,
                    schema.honeypots,
                    truth=truth,
                    source="pack",
                    pack=name,
                    pack_item=digest,
                    image_jpeg=tile,
                    context_jpeg=context,
                    active=True,
                    created_at=now,
                )
    for line in problems:
        log.warning("%s", line)
    return PackReport(path, added, len(problems), tuple(problems))


def _manifest(pack: zipfile.ZipFile, path: Path) -> tuple[list[dict], str]:
    try:
        info = pack.getinfo("manifest.json")
    except KeyError:
        raise ReviewError(f"{path}: no manifest.json inside; is this a sartriage honeypot pack?") from None
    if info.file_size > MAX_MANIFEST_BYTES:
        raise ReviewError(f"{path}: manifest.json is too large to be a honeypot pack")
    try:
        manifest = json.loads(pack.read(info))
    except (ValueError, zipfile.BadZipFile) as exc:
        raise ReviewError(f"{path}: manifest.json is not valid JSON ({exc})") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != PACK_FORMAT:
        raise ReviewError(f"{path}: not a sartriage honeypot pack (format {manifest.get('format')!r})")
    if manifest.get("version") != PACK_VERSION:
        raise ReviewError(
            f"{path}: pack version {manifest.get('version')!r} is not {PACK_VERSION}; update sartriage"
        )
    items = manifest.get("items")
    if not isinstance(items, list) or len(items) > MAX_ITEMS:
        raise ReviewError(f"{path}: the manifest's items must be a list of at most {MAX_ITEMS}")
    return items, f"{str(manifest.get('mission') or path.stem)[:150]} ({path.name})"[:200]


def _item(pack: zipfile.ZipFile, item: object) -> tuple[bytes, bytes, str, str]:
    if not isinstance(item, dict) or item.get("truth") not in ("person", "no_person"):
        raise ReviewError("needs a truth of person or no_person")
    digest = str(item.get("id", ""))
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ReviewError("has no valid id")
    tile = _jpeg(pack, f"items/{digest}.jpg")
    if hashlib.sha256(tile).hexdigest() != digest:
        raise ReviewError("its picture does not match its id (damaged pack)")
    context = _jpeg(pack, f"items/{digest}-context.jpg")
    return tile, context, str(item["truth"]), digest


def _jpeg(pack: zipfile.ZipFile, name: str) -> bytes:
    try:
        info = pack.getinfo(name)
    except KeyError:
        raise ReviewError(f"{name} is missing") from None
    if info.file_size > MAX_IMAGE_BYTES:
        raise ReviewError(f"{name} is larger than {MAX_IMAGE_BYTES // 2**20} MB")
    try:
        data = pack.read(info)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ReviewError(f"{name} cannot be read ({exc})") from exc
    if cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR) is None:
        raise ReviewError(f"{name} is not a readable JPEG")
    return data
