"""Which person size (in model pixels) the default CenterNet detects best: a scale sweep on HERIDAL crops.

Each labelled crop of ``../shared/data/labelled/heridal_crops_340`` is rescaled by several factors and a
512x512 window around its person (padded with 114) goes through the ONNX model. A person counts as found
when a person box has IoU >= 0.3 with the label or its centre inside it (the rule of ``sartriage eval``).
Prints, per bin of the label box's longer side in model pixels: views, mean best person score, recall at
score 0.2 and 0.1, and person boxes >= 0.2 elsewhere in the window. It backs ``[scale] person_px`` in
``sartriage/models/centernet_mobilenetv3_512.card.toml``.

    .venv/bin/python tools/centernet_scale_sweep.py [MODEL.onnx]    # about 4 minutes on 2 cores
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import cv2
import defusedxml.ElementTree as ElementTree
import numpy as np
import onnxruntime as ort

REPO = Path(__file__).resolve().parents[1]
CROPS = REPO.parent / "shared" / "data" / "labelled" / "heridal_crops_340"
MODEL = REPO / "sartriage" / "models" / "centernet_mobilenetv3_512.onnx"
SIZE = 512
SCALES = (0.15, 0.25, 0.35, 0.5, 0.7, 1.0, 1.4, 2.0, 2.8)
BINS = (0, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 1024)


def label_boxes(xml: Path) -> list[np.ndarray]:
    """HERIDAL crop labels: VOC-like, field order xmin, xmax, ymin, ymax (read by name)."""
    boxes = []
    for obj in ElementTree.parse(xml).getroot().iter("object"):
        box = obj.find("bndbox")
        boxes.append(np.array([float(box.findtext(k)) for k in ("xmin", "ymin", "xmax", "ymax")]))
    return boxes


def window(image: np.ndarray, box: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """The rescaled image's 512x512 window around the box, and the box in window pixels."""
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    scaled = cv2.resize(image, None, fx=scale, fy=scale, interpolation=interpolation)
    h, w = scaled.shape[:2]
    cx, cy = (box[0] + box[2]) / 2 * scale, (box[1] + box[3]) / 2 * scale
    x0 = int(min(max(cx - SIZE / 2, 0), max(w - SIZE, 0)))
    y0 = int(min(max(cy - SIZE / 2, 0), max(h - SIZE, 0)))
    part = scaled[y0 : y0 + SIZE, x0 : x0 + SIZE]
    canvas = np.full((SIZE, SIZE, 3), 114, np.uint8)
    canvas[: part.shape[0], : part.shape[1]] = part
    return canvas, box * scale - np.array([x0, y0, x0, y0])


def found(people: np.ndarray, label: np.ndarray) -> np.ndarray:
    x1 = np.maximum(people[:, 0], label[0])
    y1 = np.maximum(people[:, 1], label[1])
    x2 = np.minimum(people[:, 2], label[2])
    y2 = np.minimum(people[:, 3], label[3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    areas = (people[:, 2] - people[:, 0]) * (people[:, 3] - people[:, 1])
    iou = inter / (areas + (label[2] - label[0]) * (label[3] - label[1]) - inter)
    cx, cy = (people[:, 0] + people[:, 2]) / 2, (people[:, 1] + people[:, 3]) / 2
    inside = (cx >= label[0]) & (cx <= label[2]) & (cy >= label[1]) & (cy <= label[3])
    return (iou >= 0.3) | inside


def main(model: Path = MODEL) -> None:
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
    rows = []  # (label longer side in model px, best person score, other person boxes >= 0.2)
    for xml in sorted((CROPS / "labels").glob("*.xml")):
        path = CROPS / "images" / f"{xml.stem}.jpg"
        boxes = label_boxes(xml)
        if not path.exists() or not boxes:  # one label file has no image
            continue
        image = cv2.imread(str(path))
        if image is None:
            continue
        views = [window(image[:, :, ::-1], boxes[0], s) for s in SCALES]
        batch = np.stack([pixels for pixels, _ in views]).astype(np.float32)
        detections = session.run(["tower_0/detections"], {"tower_0/images:0": batch})[0]
        for det, (_, label) in zip(detections, views, strict=True):
            people = det[det[:, 5] == 0]
            hit = found(people, label)
            best = float(people[hit, 4].max()) if hit.any() else 0.0
            rows.append(
                (
                    float(max(label[2] - label[0], label[3] - label[1])),
                    best,
                    int((~hit & (people[:, 4] >= 0.2)).sum()),
                )
            )
    table = np.array(rows)
    print(f"{len(table)} person views from {CROPS.name}")
    print("longer side px | views | mean best score | recall@0.2 | recall@0.1 | other boxes >= 0.2")
    for low, high in itertools.pairwise(BINS):
        part = table[(table[:, 0] >= low) & (table[:, 0] < high)]
        if len(part):
            recall = [(part[:, 1] >= t).mean() for t in (0.2, 0.1)]
            print(
                f"{low:4d}-{high:<4d} | {len(part):5d} | {part[:, 1].mean():.3f} | "
                f"{recall[0]:.2f} | {recall[1]:.2f} | {part[:, 2].mean():.2f}"
            )


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else MODEL)
