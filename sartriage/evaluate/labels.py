"""Ground-truth person boxes from YOLO txt, COCO json and VOC xml, with the shared sets' quirks.

Quirks handled: HIT-UAV's COCO uses ``annotation`` and ``filename`` (not ``annotations``/``file_name``)
and calls its person category ``Person`` (id 0); HERIDAL's VOC names people ``human``, writes
``xmin, xmax, ymin, ymax`` in that order (fields are read by name, so order never matters) and has no
``<size>``. Every reader gives boxes as float32 xyxy; YOLO boxes stay fractions until the image size is known.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import Element

import numpy as np
from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from sartriage.errors import LabelError

log = logging.getLogger(__name__)

FORMATS = ("yolo", "coco", "voc")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp")
PERSON_NAMES = frozenset({"person", "people", "pedestrian", "human", "persons"})


@dataclass(frozen=True)
class ImageLabels:
    """The people labelled in one image: ``boxes`` float32 (N, 4) xyxy, in pixels or fractions."""

    image: Path
    boxes: np.ndarray
    normalised: bool = False

    def in_pixels(self, width: int, height: int) -> np.ndarray:
        if not self.normalised:
            return self.boxes
        return (self.boxes * np.array([width, height, width, height], np.float32)).astype(np.float32)


def list_images(images_dir: Path) -> list[Path]:
    return sorted(p for p in images_dir.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


def guess_format(labels: Path) -> str:
    if labels.suffix.lower() == ".json":
        return "coco"
    if labels.is_dir():
        if any(labels.glob("*.xml")):
            return "voc"
        if any(labels.glob("*.txt")):
            return "yolo"
    raise LabelError(f"{labels}: cannot tell the label format; pass --format yolo, coco or voc")


def read_labels(images_dir: Path, labels: Path, fmt: str | None = None) -> list[ImageLabels]:
    """Labels for the images of ``images_dir``, one entry per image that is evaluated, by file name."""
    if not images_dir.is_dir():
        raise LabelError(f"{images_dir}: not a folder of images")
    if not labels.exists():
        raise LabelError(f"{labels}: label file or folder not found")
    fmt = fmt or guess_format(labels)
    if fmt == "yolo":
        return read_yolo(images_dir, labels)
    if fmt == "coco":
        return read_coco(images_dir, labels)
    if fmt == "voc":
        return read_voc(images_dir, labels)
    raise LabelError(f"unknown label format {fmt!r}; use one of {', '.join(FORMATS)}")


def read_yolo(images_dir: Path, labels_dir: Path, person_ids: Iterable[int] = (0,)) -> list[ImageLabels]:
    """``<stem>.txt`` per image, lines ``class cx cy w h`` as fractions; no file: nobody in the image."""
    wanted = set(person_ids)
    result = []
    for image in list_images(images_dir):
        txt = labels_dir / f"{image.stem}.txt"
        rows: list[list[float]] = []
        if txt.exists():
            for number, line in enumerate(txt.read_text(encoding="utf-8").splitlines(), 1):
                fields = line.split()
                if not fields:
                    continue
                try:
                    cls, cx, cy, w, h = int(fields[0]), *map(float, fields[1:5])
                except (ValueError, TypeError):
                    raise LabelError(f"{txt}:{number}: expected 'class cx cy w h', got {line!r}") from None
                if cls in wanted:
                    rows.append([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])
        result.append(ImageLabels(image, np.asarray(rows, np.float32).reshape(-1, 4), normalised=True))
    _warn_orphans(labels_dir.glob("*.txt"), result, "YOLO")
    return result


def read_coco(images_dir: Path, json_path: Path) -> list[ImageLabels]:
    """Images listed in the json (that exist in ``images_dir``) with their person boxes (xywh -> xyxy)."""
    try:
        data = json.loads(json_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LabelError(f"{json_path}: not a readable COCO json ({exc})") from None
    if not isinstance(data, Mapping):
        raise LabelError(f"{json_path}: not a COCO json object")
    annotations = data.get("annotations", data.get("annotation"))
    images = data.get("images")
    if not isinstance(annotations, list) or not isinstance(images, list):
        raise LabelError(f"{json_path}: needs 'images' and 'annotations' lists")
    categories = data.get("categories") or []
    person = {c["id"] for c in categories if str(c.get("name", "")).lower() in PERSON_NAMES}
    if not person:
        raise LabelError(f"{json_path}: no person category among {[c.get('name') for c in categories]}")
    boxes: dict[object, list[list[float]]] = {}
    for ann in annotations:
        if ann.get("category_id") in person and not ann.get("iscrowd", 0):
            x, y, w, h = (float(v) for v in ann["bbox"])
            boxes.setdefault(ann["image_id"], []).append([x, y, x + w, y + h])
    result = []
    for entry in images:
        name = entry.get("file_name", entry.get("filename"))
        if name is None:
            raise LabelError(f"{json_path}: image entry {entry.get('id')} has no file_name")
        image = images_dir / name
        if not image.exists():
            log.warning("%s: labelled image %s is not in %s; skipped", json_path, name, images_dir)
            continue
        result.append(ImageLabels(image, np.asarray(boxes.get(entry["id"], []), np.float32).reshape(-1, 4)))
    return sorted(result, key=lambda item: item.image.name)


def _voc_boxes(xml: Path) -> list[list[float]]:
    try:
        root: Element = ElementTree.parse(xml).getroot()
    except (OSError, DefusedXmlException) as exc:
        raise LabelError(f"{xml}: unreadable VOC xml ({exc})") from None
    except ElementTree.ParseError as exc:
        raise LabelError(f"{xml}: not valid XML ({exc})") from None
    rows = []
    for obj in root.iter("object"):
        if (obj.findtext("name") or "").strip().lower() not in PERSON_NAMES:
            continue
        box = obj.find("bndbox")
        try:
            values = {k: float(box.findtext(k) or "") for k in ("xmin", "ymin", "xmax", "ymax")}  # type: ignore[union-attr]
        except (AttributeError, ValueError):
            raise LabelError(f"{xml}: an object has no complete <bndbox> (xmin, ymin, xmax, ymax)") from None
        rows.append([values["xmin"], values["ymin"], values["xmax"], values["ymax"]])
    return rows


def read_voc(images_dir: Path, labels_dir: Path) -> list[ImageLabels]:
    """``<stem>.xml`` per image; objects named person/human/... count; no file means no one there."""
    result = []
    for image in list_images(images_dir):
        xml = labels_dir / f"{image.stem}.xml"
        rows = _voc_boxes(xml) if xml.exists() else []
        result.append(ImageLabels(image, np.asarray(rows, np.float32).reshape(-1, 4)))
    _warn_orphans(labels_dir.glob("*.xml"), result, "VOC")
    return result


def _warn_orphans(files: Iterable[Path], labelled: list[ImageLabels], kind: str) -> None:
    stems = {item.image.stem for item in labelled}
    orphans = sorted(p.name for p in files if p.stem not in stems)
    if orphans:
        log.warning(
            "%d %s label files have no image and are ignored: %s", len(orphans), kind, ", ".join(orphans[:5])
        )
