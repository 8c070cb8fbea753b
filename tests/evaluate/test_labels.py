"""The label readers on the real shared sets, quirks included, and on small standard files."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest

from sartriage.errors import LabelError
from sartriage.evaluate.labels import guess_format, read_labels

LABELLED = "labelled"


@pytest.mark.parametrize(
    ("folder", "labels", "fmt", "images", "people", "with_people"),
    [
        ("unicamp_uav", "labels", "yolo", 12, 134, 12),
        ("heridal_crops_340", "labels", "voc", 209, 102, 102),
        ("hit_uav_thermal", "annotations.json", "coco", 349, 1815, 226),
    ],
)
def test_shared_sets_read_in_full(
    shared_data: Path, folder: str, labels: str, fmt: str, images: int, people: int, with_people: int
) -> None:
    root = shared_data / LABELLED / folder
    assert guess_format(root / labels) == fmt
    items = read_labels(root / "images", root / labels)
    assert len(items) == images
    assert sum(len(i.boxes) for i in items) == people
    assert sum(len(i.boxes) > 0 for i in items) == with_people
    assert all(i.image.exists() for i in items)


def test_heridal_field_order_xmin_xmax_ymin_ymax(shared_data: Path) -> None:
    root = shared_data / LABELLED / "heridal_crops_340"
    items = {i.image.name: i for i in read_labels(root / "images", root / "labels")}
    # the file says <xmin>185</xmin><xmax>265</xmax><ymin>51</ymin><ymax>91</ymax>
    assert items["train_BLA_0001_10_1.jpg"].boxes.tolist() == [[185, 51, 265, 91]]


def test_heridal_label_files_without_an_image_are_reported(
    shared_data: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = shared_data / LABELLED / "heridal_crops_340"
    with caplog.at_level(logging.WARNING):
        read_labels(root / "images", root / "labels")
    assert "train_BLA_0003_9_1.xml" in caplog.text


def test_hit_uav_boxes_are_xywh_and_only_people(shared_data: Path) -> None:
    root = shared_data / LABELLED / "hit_uav_thermal"
    data = json.loads((root / "annotations.json").read_text())
    first_person = next(a for a in data["annotation"] if a["category_id"] == 0)
    image = next(i["filename"] for i in data["images"] if i["id"] == first_person["image_id"])
    items = {i.image.name: i for i in read_labels(root / "images", root / "annotations.json")}
    x, y, w, h = first_person["bbox"]
    assert [x, y, x + w, y + h] in items[image].boxes.tolist()


def test_unicamp_yolo_boxes_become_pixels(shared_data: Path) -> None:
    root = shared_data / LABELLED / "unicamp_uav"
    item = next(i for i in read_labels(root / "images", root / "labels") if i.image.stem == "DJI_0083_1064")
    pixels = item.in_pixels(3840, 2160)
    # first line: 0 0.287760 0.921991 0.013021 0.046759
    np.testing.assert_allclose(pixels[0], [1079.99, 1941.03, 1129.99, 2042.02], atol=0.1)


def test_standard_coco_and_yolo_files(tmp_path: Path) -> None:
    images = tmp_path / "images"
    images.mkdir()
    for name in ("a.jpg", "b.jpg"):
        (images / name).write_bytes(b"")
    coco = {
        "images": [
            {"id": 1, "file_name": "a.jpg"},
            {"id": 2, "file_name": "b.jpg"},
            {"id": 3, "file_name": "c.jpg"},
        ],
        "annotations": [
            {"image_id": 1, "category_id": 7, "bbox": [10, 20, 5, 10]},
            {"image_id": 1, "category_id": 3, "bbox": [0, 0, 1, 1]},
        ],
        "categories": [{"id": 7, "name": "person"}, {"id": 3, "name": "car"}],
    }
    (tmp_path / "coco.json").write_text(json.dumps(coco))
    items = read_labels(images, tmp_path / "coco.json")
    assert [i.image.name for i in items] == ["a.jpg", "b.jpg"]  # c.jpg is not there: skipped
    assert items[0].boxes.tolist() == [[10, 20, 15, 30]] and len(items[1].boxes) == 0

    yolo = tmp_path / "yolo"
    yolo.mkdir()
    (yolo / "a.txt").write_text("0 0.5 0.5 0.2 0.4\n2 0.1 0.1 0.1 0.1\n")
    items = read_labels(images, yolo, "yolo")
    np.testing.assert_allclose(items[0].in_pixels(100, 50), [[40, 15, 60, 35]], atol=1e-4)
    assert len(items[1].boxes) == 0  # no file: nobody


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("0 0.5 oops 0.1 0.1\n", r"a\.txt:1: expected 'class cx cy w h'"),
    ],
)
def test_bad_yolo_line_names_file_and_line(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "a.jpg").write_bytes(b"")
    (tmp_path / "a.txt").write_text(content)
    with pytest.raises(LabelError, match=message):
        read_labels(tmp_path, tmp_path, "yolo")


def test_unknown_label_layout(tmp_path: Path) -> None:
    with pytest.raises(LabelError, match="pass --format"):
        read_labels(tmp_path, tmp_path)
