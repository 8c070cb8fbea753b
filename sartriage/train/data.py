"""Training data: YOLO folders (the training pack, `sartriage export --format training`) and COCO json.

A YOLO folder holds ``images/`` and ``labels/`` (``class cx cy w h`` fractions), and may hold
``classes.txt`` (class 0 is the person; other classes are objects that are not people, the hard
negatives), ``split.txt`` (``images/<name> train|val``) and ``dontcare.txt`` (``stem x y w h`` pixels,
regions neither person nor background). A COCO folder holds ``annotations.json`` beside ``images/``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from sartriage.errors import LabelError
from sartriage.evaluate.labels import PERSON_NAMES, list_images

log = logging.getLogger(__name__)

TRAIN, VAL = "train", "val"


@dataclass(frozen=True)
class Sample:
    """One labelled image: float32 (N, 4) xyxy pixel boxes of people, of other objects, of ignore regions."""

    image: Path
    persons: np.ndarray
    others: np.ndarray
    ignore: np.ndarray
    split: str = TRAIN
    source: str = ""


def _boxes(rows: Sequence[Sequence[float]]) -> np.ndarray:
    return np.asarray(rows, np.float32).reshape(-1, 4)


def _image_size(path: Path) -> tuple[int, int]:
    try:
        with Image.open(path) as image:
            return image.size
    except OSError as exc:
        raise LabelError(f"{path}: cannot read the image size ({exc})") from None


def _splits(folder: Path) -> dict[str, str]:
    split_file = folder / "split.txt"
    if not split_file.exists():
        return {}
    splits = {}
    for line in split_file.read_text(encoding="utf-8").splitlines():
        fields = line.split()
        if len(fields) == 2 and fields[1] in (TRAIN, VAL):
            splits[Path(fields[0]).name] = fields[1]
    return splits


def _dontcare(folder: Path) -> dict[str, list[list[float]]]:
    path = folder / "dontcare.txt"
    regions: dict[str, list[list[float]]] = {}
    if not path.exists():
        return regions
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split()
        if len(fields) != 5 or line.startswith("#"):
            continue
        x, y, w, h = map(float, fields[1:])
        regions.setdefault(fields[0], []).append([x, y, x + w, y + h])
    return regions


def read_yolo_folder(folder: Path) -> list[Sample]:
    images_dir, labels_dir = folder / "images", folder / "labels"
    if not images_dir.is_dir() or not labels_dir.is_dir():
        raise LabelError(f"{folder}: a YOLO training folder needs images/ and labels/ inside it")
    splits, dontcare = _splits(folder), _dontcare(folder)
    samples = []
    for image in list_images(images_dir):
        width, height = _image_size(image)
        persons: list[list[float]] = []
        others: list[list[float]] = []
        txt = labels_dir / f"{image.stem}.txt"
        lines = txt.read_text(encoding="utf-8").splitlines() if txt.exists() else []
        for number, line in enumerate(lines, 1):
            fields = line.split()
            if not fields:
                continue
            try:
                cls, cx, cy, w, h = int(fields[0]), *map(float, fields[1:5])
            except (ValueError, TypeError):
                raise LabelError(f"{txt}:{number}: expected 'class cx cy w h', got {line!r}") from None
            box = [(cx - w / 2) * width, (cy - h / 2) * height, (cx + w / 2) * width, (cy + h / 2) * height]
            (persons if cls == 0 else others).append(box)
        samples.append(
            Sample(
                image,
                _boxes(persons),
                _boxes(others),
                _boxes(dontcare.get(image.stem, [])),
                splits.get(image.name, TRAIN),
                folder.name,
            )
        )
    return samples


def read_coco_folder(json_path: Path, images_dir: Path) -> list[Sample]:
    try:
        data = json.loads(json_path.read_text(encoding="utf-8"))
        annotations = data.get("annotations", data.get("annotation"))
        images, categories = data["images"], data.get("categories") or []
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, AttributeError) as exc:
        raise LabelError(f"{json_path}: not a readable COCO json ({exc})") from None
    person = {c["id"] for c in categories if str(c.get("name", "")).lower() in PERSON_NAMES}
    ignore_ids = {c["id"] for c in categories if str(c.get("name", "")).lower() == "dontcare"}
    by_image: dict[object, tuple[list[list[float]], list[list[float]], list[list[float]]]] = {}
    for ann in annotations or []:
        x, y, w, h = (float(v) for v in ann["bbox"])
        kind = 0 if ann.get("category_id") in person else 2 if ann.get("category_id") in ignore_ids else 1
        by_image.setdefault(ann["image_id"], ([], [], []))[kind].append([x, y, x + w, y + h])
    samples = []
    for entry in images:
        image = images_dir / str(entry.get("file_name", entry.get("filename")))
        if not image.exists():
            log.warning("%s: %s is not in %s; skipped", json_path, image.name, images_dir)
            continue
        persons, others, ignore = by_image.get(entry["id"], ([], [], []))
        samples.append(
            Sample(image, _boxes(persons), _boxes(others), _boxes(ignore), TRAIN, json_path.parent.name)
        )
    return sorted(samples, key=lambda s: s.image.name)


def read_dataset(path: Path) -> list[Sample]:
    """Samples of a YOLO folder, a COCO json (images/ beside it) or a folder holding annotations.json."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        return read_coco_folder(path, path.parent / "images")
    if (path / "labels").is_dir():
        return read_yolo_folder(path)
    if (path / "annotations.json").is_file():
        return read_coco_folder(path / "annotations.json", path / "images")
    raise LabelError(
        f"{path}: not a training folder; give a YOLO folder (images/ and labels/), a COCO annotations.json, "
        "or the output of `sartriage export --format training`"
    )
