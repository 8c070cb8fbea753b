"""Training data from a mission: reviewed tiles cut out, with their aggregated labels, as COCO and YOLO.

A tile's label comes from the most trusted decision it has:

1. the coordinator's: a hit on it confirmed, found or not found (the person was
   seen in the image even if a team did not find them later) means "person";
   hits on it that were all rejected mean "no person";
2. a decided escalation (the coordinator settled a volunteer dispute);
3. the volunteers' aggregate: a finished review's posterior P(person) ≥ 0.5.

Tiles with none of these are not exported. Boxes come from the detections of
the tile's person hits, in tile pixels. A person tile without a detection box
(the volunteers saw someone the detector missed, typically on a random
quality-check tile) cannot teach a detector where the person is and must not
be read as background: it is cut out too but listed in ``needs_boxes.json``
for someone to draw the box, and left out of ``annotations.json`` and the
YOLO labels.

Layout of the output folder::

    images/<frame>_t<tile>.jpg       the tiles, cut from the frames at full resolution
    labels/<frame>_t<tile>.txt       YOLO: "0 cx cy w h" normalised, empty for no person
    annotations.json                 COCO: images, annotations (bbox x, y, w, h), categories
    needs_boxes/<frame>_t<tile>.jpg  person tiles without a box, kept apart from images/
    needs_boxes.json                 their COCO-style image entries (label source, answers, ...)
    data.yaml                     YOLO dataset file (Ultralytics layout)
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePath
from typing import Any

import numpy as np
from sqlalchemy import select

from sartriage import __version__
from sartriage.detect.tiling import Tile
from sartriage.errors import ExportError, SartriageError
from sartriage.export.files import prepare, write_bytes, write_text
from sartriage.export.images import jpeg_bytes
from sartriage.frames import Window, open_frame
from sartriage.hits import HitFilter, list_hits
from sartriage.mission_reads import volunteer_votes
from sartriage.store import Store, schema
from sartriage.store.photos import photo_to_read
from sartriage.store.queries import flight_is

log = logging.getLogger(__name__)

PERSON_STATUSES = ("confirmed", "found", "not_found")
CATEGORY = {"id": 1, "name": "person", "supercategory": "person"}
MIN_BOX_PX = 2.0
Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class TrainingTile:
    tile_id: int
    frame_id: int
    frame_path: str
    photo: str  # where the pixels are read: the photo, or its copy beside the store once the card is gone
    window: tuple[int, int, int, int]  # x, y, w, h in frame pixels
    state: str
    quality_check: bool
    label: str  # "person" | "no_person"
    label_source: str  # "coordinator" | "escalation" | "volunteers"
    boxes: tuple[Box, ...]  # x1, y1, x2, y2 in tile pixels
    box_hits: tuple[int, ...]  # the hit behind each box
    posterior: float | None
    answers: dict[str, int]  # answer -> count
    reviewers: tuple[str, ...]  # names; empty when anonymous

    @property
    def stem(self) -> str:
        return f"{PurePath(self.frame_path).stem}_t{self.tile_id}"

    @property
    def needs_boxes(self) -> bool:
        return self.label == "person" and not self.boxes

    @property
    def file_name(self) -> str:
        # person tiles without a box stay out of images/: YOLO trainers read an unlabelled image as background
        return f"{'needs_boxes' if self.needs_boxes else 'images'}/{self.stem}.jpg"

    @property
    def model_miss(self) -> bool:
        """A person on a tile the detector had cleared."""
        return self.label == "person" and self.state == "cleared"


@dataclass(frozen=True)
class TrainingSet:
    folder: Path
    images: int  # tiles in annotations.json / labels
    boxes: int
    positives: int
    negatives: int
    needs_boxes: int
    model_misses: int
    skipped: tuple[str, ...] = field(default_factory=tuple)


def _clip(box: Box, window: tuple[int, int, int, int]) -> Box | None:
    x, y, w, h = window
    x1, y1, x2, y2 = (
        min(max(box[0] - x, 0.0), w),
        min(max(box[1] - y, 0.0), h),
        min(max(box[2] - x, 0.0), w),
        min(max(box[3] - y, 0.0), h),
    )
    return (x1, y1, x2, y2) if x2 - x1 >= MIN_BOX_PX and y2 - y1 >= MIN_BOX_PX else None


def _centred(box: Box | None, window: tuple[int, int, int, int]) -> bool:
    return box is not None and Tile(*window).contains((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)


def reviewed_tiles(
    store: Store, *, flights: Sequence[str] = (), anonymous: bool = False
) -> list[TrainingTile]:
    """Every tile with a decided label, ordered by frame and tile id."""
    hits = list_hits(store, HitFilter(flights=tuple(flights)))
    by_tile: dict[int, list[Any]] = defaultdict(list)
    people: dict[int, list[Any]] = defaultdict(list)  # frame id -> its decided people with a box
    for hit in hits:
        by_tile[hit.tile_id].append(hit)
        if hit.status in PERSON_STATUSES and hit.box is not None:
            people[hit.frame_id].append(hit)
    t, f, fl = schema.tiles, schema.frames, schema.flights
    rt, esc, ans, vol = schema.review_tiles, schema.escalations, schema.answers, schema.volunteers
    with store.connect() as conn:
        reviewed = {
            r.tile_id: r.posterior
            for r in conn.execute(
                select(rt.c.tile_id, rt.c.posterior).where(rt.c.state.in_(("done", "decided")))
            )
        }
        escalated = dict(
            conn.execute(select(esc.c.tile_id, esc.c.decision).where(esc.c.decision.is_not(None))).all()
        )
        counts = volunteer_votes(conn)
        names: dict[int, list[str]] = defaultdict(list)
        if not anonymous:
            for tile_id, name in conn.execute(
                select(ans.c.tile_id, vol.c.name)
                .select_from(ans.join(vol, ans.c.volunteer_id == vol.c.id))
                .where(ans.c.tile_id.is_not(None))
                .order_by(ans.c.tile_id, vol.c.name)
            ):
                names[int(tile_id)].append(str(name))
        wanted = set(by_tile) | set(reviewed) | set(escalated)
        query = (
            select(t.c.id, t.c.frame_id, t.c.x, t.c.y, t.c.w, t.c.h, t.c.state, t.c.quality_check)
            .add_columns(f.c.path, f.c.content_hash)
            .select_from(t.join(f, t.c.frame_id == f.c.id).join(fl, f.c.flight_id == fl.c.id))
            .where(t.c.id.in_(sorted(wanted)))
            .order_by(t.c.frame_id, t.c.id)
        )
        if flights:
            query = query.where(flight_is(flights))
        rows = conn.execute(query).all()
    out = []
    for row in rows:
        window = (int(row.x), int(row.y), int(row.w), int(row.h))
        tile_hits = by_tile.get(row.id, [])
        decided = [h for h in tile_hits if h.status in PERSON_STATUSES]
        # every decided person of the frame whose box centre the tile holds, whichever overlapping tile
        # their hit is on: left out, they would teach a detector that a person is background
        seen = [h for h in people.get(int(row.frame_id), []) if _centred(h.box, window)]
        if decided or seen:
            label, source = "person", "coordinator"
        elif tile_hits and all(h.status == "rejected" for h in tile_hits):
            label, source = "no_person", "coordinator"
        elif row.id in escalated:
            label, source = str(escalated[row.id]), "escalation"
        elif row.id in reviewed and reviewed[row.id] is not None:
            label, source = ("person" if reviewed[row.id] >= 0.5 else "no_person"), "volunteers"
        else:
            continue  # still undecided
        boxes: list[Box] = []
        box_hits: list[int] = []
        for hit in sorted({h.id: h for h in [*decided, *seen]}.values(), key=lambda h: h.id):
            clipped = _clip(hit.box, window) if hit.box is not None else None
            if clipped is not None:
                boxes.append(clipped)
                box_hits.append(hit.id)
        out.append(
            TrainingTile(
                tile_id=int(row.id),
                frame_id=int(row.frame_id),
                frame_path=str(row.path),
                photo=str(photo_to_read(store, row.path, row.content_hash)),
                window=window,
                state=str(row.state),
                quality_check=bool(row.quality_check),
                label=label,
                label_source=source,
                boxes=tuple(boxes),
                box_hits=tuple(box_hits),
                posterior=reviewed.get(row.id),
                answers=counts.get(row.id, {}),
                reviewers=tuple(names.get(row.id, [])),
            )
        )
    return out


def _image_entry(image_id: int, tile: TrainingTile) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": image_id,
        "file_name": tile.file_name,
        "width": tile.window[2],
        "height": tile.window[3],
        "frame": PurePath(tile.frame_path).name,
        "tile_id": tile.tile_id,
        "tile": list(tile.window),
        "triage_state": tile.state,
        "quality_check": tile.quality_check,
        "label": tile.label,
        "label_source": tile.label_source,
        "model_miss": tile.model_miss,
        "posterior": tile.posterior,
        "answers": tile.answers,
    }
    if tile.reviewers:
        entry["reviewers"] = list(tile.reviewers)
    return entry


def _yolo_lines(tile: TrainingTile) -> str:
    w, h = tile.window[2], tile.window[3]
    lines = []
    for x1, y1, x2, y2 in tile.boxes:
        cx, cy, bw, bh = (x1 + x2) / 2 / w, (y1 + y2) / 2 / h, (x2 - x1) / w, (y2 - y1) / h
        lines.append(f"0 {cx:.6f} {cy:.6f} {bw:.6f} {bh:.6f}")
    return "".join(line + "\n" for line in lines)


def _cut(tiles: Sequence[TrainingTile], folder: Path) -> tuple[set[int], list[str]]:
    """Write each tile's JPEG, opening every frame once; return the tiles written and what failed."""
    done, skipped = set(), []
    by_frame: dict[str, list[TrainingTile]] = defaultdict(list)
    for tile in tiles:
        by_frame[tile.photo].append(tile)
    for path, group in by_frame.items():
        try:
            with open_frame(Path(path)) as frame:
                for tile in group:
                    x, y, w, h = tile.window
                    pixels = frame.read(Window(x, y, w, h))
                    write_bytes(folder / tile.file_name, jpeg_bytes(np.ascontiguousarray(pixels), 95))
                    done.add(tile.tile_id)
        except (SartriageError, ValueError) as exc:
            line = f"{PurePath(path).name}: {len(group)} tiles left out ({str(exc).splitlines()[0]})"
            log.warning("training export: %s", line)
            skipped.append(line)
    return done, skipped


def write_training(
    store: Store, folder: Path, *, flights: Sequence[str] = (), anonymous: bool = False
) -> TrainingSet:
    """Cut the reviewed tiles into ``folder`` with COCO and YOLO labels (see the module docstring)."""
    folder = Path(folder)
    tiles = reviewed_tiles(store, flights=flights, anonymous=anonymous)
    if not tiles:
        raise ExportError(
            f"{folder}: no reviewed tiles yet; confirm or reject hits, or let volunteers finish tiles first"
        )
    for sub_folder in ("images", "labels", "needs_boxes"):
        prepare(folder / sub_folder / "x")
    written, skipped = _cut(tiles, folder)
    tiles = [t for t in tiles if t.tile_id in written]
    info = {
        "description": "sartriage reviewed tiles",
        "version": __version__,
        "date_created": datetime.now(UTC).isoformat(timespec="seconds"),
        "contributor": "" if anonymous else "sartriage volunteers and coordinators",
    }
    images: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    pending: list[dict[str, Any]] = []
    for tile in tiles:
        if tile.needs_boxes:
            pending.append(_image_entry(len(pending) + 1, tile))
            continue
        image_id = len(images) + 1
        images.append(_image_entry(image_id, tile))
        for box, hit_id in zip(tile.boxes, tile.box_hits, strict=True):
            x1, y1, x2, y2 = box
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": image_id,
                    "category_id": CATEGORY["id"],
                    "bbox": [round(x1, 2), round(y1, 2), round(x2 - x1, 2), round(y2 - y1, 2)],
                    "area": round((x2 - x1) * (y2 - y1), 2),
                    "iscrowd": 0,
                    "hit_id": hit_id,
                }
            )
        write_text(folder / "labels" / f"{tile.stem}.txt", _yolo_lines(tile))
    coco = {
        "info": info,
        "licenses": [],
        "images": images,
        "annotations": annotations,
        "categories": [CATEGORY],
    }
    write_text(folder / "annotations.json", json.dumps(coco, indent=1) + "\n")
    write_text(folder / "needs_boxes.json", json.dumps({"info": info, "images": pending}, indent=1) + "\n")
    write_text(
        folder / "data.yaml",
        "# sartriage reviewed tiles (YOLO); every image is for training, hold out a flight for validation\n"
        f"path: {folder.resolve().as_posix()}\ntrain: images\nval: images\nnames:\n  0: person\n",
    )
    positives = sum(1 for t in tiles if t.label == "person" and not t.needs_boxes)
    return TrainingSet(
        folder=folder,
        images=len(images),
        boxes=len(annotations),
        positives=positives,
        negatives=sum(1 for t in tiles if t.label == "no_person"),
        needs_boxes=len(pending),
        model_misses=sum(1 for t in tiles if t.model_miss),
        skipped=tuple(skipped),
    )
