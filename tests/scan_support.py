"""Real flights for scan tests: a small, fast detector card and folders of shared frames plus broken files.

The card is the real NanoDet-m from ../shared/models, drafted by ``sartriage model inspect``, with
``person_px`` lowered so frames need few tiles and thresholds low enough that the shared frames with
people in them (HERIDAL crops, the Lacmus search photo) give review and flagged tiles.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import select

from sartriage.detect.card import ModelCard
from sartriage.detect.inspect import draft_card
from sartriage.store import Store, schema

ROOT = Path(__file__).resolve().parents[1]
CARD_MODEL = "nanodet_m_416_coco"
REVIEW, FLAG = 0.1, 0.3


def make_card(shared_models: Path, folder: Path) -> Path:
    """A checked card for the real NanoDet-m, tuned for quick tests; returns the card's path."""
    path = folder / f"{CARD_MODEL}.card.toml"
    card = draft_card(shared_models / f"{CARD_MODEL}.onnx", path)
    card = replace(card, scale=replace(card.scale, person_px=24.0)).with_thresholds(review=REVIEW, flag=FLAG)
    card.write(path)
    return path


def copy_frames(shared_data: Path, folder: Path, names: list[str]) -> list[Path]:
    """Copy shared frames (paths relative to ../shared/data) into ``folder`` keeping their file names."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name in names:
        target = folder / Path(name).name
        shutil.copyfile(shared_data / name, target)
        out.append(target)
    return out


def heridal(shared_data: Path, n: int) -> list[str]:
    images = sorted((shared_data / "labelled/heridal_crops_340/images").glob("*.jpg"))
    return [str(p.relative_to(shared_data)) for p in images[:n]]


def deervision(shared_data: Path, n: int) -> list[str]:
    images = sorted((shared_data / "geotagged/deervision_dji_xt2").glob("*.JPG"))
    return [str(p.relative_to(shared_data)) for p in images[:n]]


def add_broken_files(folder: Path, real_jpeg: Path) -> dict[str, str]:
    """Zero bytes, a JPEG cut in half, text named .jpg; returns file name -> words its error must hold."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "empty.jpg").write_bytes(b"")
    data = real_jpeg.read_bytes()
    (folder / "cut_short.JPG").write_bytes(data[: len(data) // 2])
    (folder / "notes.jpg").write_text("flight log: battery swap at 10:42\n")
    return {"empty.jpg": "empty", "cut_short.JPG": "truncated", "notes.jpg": "not an image"}


def _rounded(row: Any) -> tuple[Any, ...]:
    return tuple(round(v, 6) if isinstance(v, float) else v for v in row)


def snapshot(store: Store) -> dict[str, Any]:
    """The store's scan results keyed by frame path and tile window, ids left out, floats rounded."""
    fr, ti, de, hi = schema.frames, schema.tiles, schema.detections, schema.hits
    frame_tiles = ti.join(fr, ti.c.frame_id == fr.c.id)
    window = (fr.c.path, ti.c.x, ti.c.y, ti.c.w, ti.c.h)
    queries = {
        "frames": select(fr.c.path, fr.c.status, fr.c.error, fr.c.width, fr.c.height, fr.c.content_hash),
        "tiles": select(*window, ti.c.scale, ti.c.score, ti.c.state, ti.c.quality_check).select_from(
            frame_tiles
        ),
        "detections": select(
            *window, de.c.x1, de.c.y1, de.c.x2, de.c.y2, de.c.score, de.c.lon, de.c.lat
        ).select_from(de.join(frame_tiles, de.c.tile_id == ti.c.id)),
        "hits": select(*window, hi.c.x, hi.c.y, hi.c.source, hi.c.status, hi.c.lon, hi.c.lat).select_from(
            hi.join(frame_tiles, hi.c.tile_id == ti.c.id)
        ),
    }
    with store.connect() as conn:
        return {
            name: sorted((_rounded(r) for r in conn.execute(query)), key=repr)
            for name, query in queries.items()
        }


def cli_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("SARTRIAGE_DB", None)
    env["PYTHONWARNINGS"] = "ignore"
    return env


def scan_command(folder: Path, db: str, card: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "sartriage", "scan", str(folder), "--db", db, "--card", str(card),
            "--device", "cpu", "--threads", "1", *extra]  # fmt: skip


def run_scan(
    folder: Path, db: str, card: Path, *extra: str, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        scan_command(folder, db, card, *extra), cwd=ROOT, env=cli_env(), capture_output=True, text=True,
        timeout=timeout,
    )  # fmt: skip


def card_thresholds(card_path: Path) -> tuple[float, float]:
    card = ModelCard.load(card_path)
    return card.thresholds.review, card.thresholds.flag
