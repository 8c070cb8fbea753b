"""Each family adapter decodes a real model's real output into the labelled person's box."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from sartriage.detect import Detector, ModelCard
from sartriage.detect.adapters import adapter_for
from sartriage.detect.boxes import iou
from sartriage.detect.card import OutputSpec
from sartriage.frames import open_frame

pytestmark = pytest.mark.filterwarnings("ignore::sartriage.errors.NotGeoreferencedWarning")

SHARED_DETECTORS = (
    "yolov8n_coco_int8_640",
    "yolo11n_visdrone_640",
    "yolox_nano_416_coco",
    "nanodet_m_416_coco",
)

# HERIDAL crops (340x340, smaller than every model input: padded) with their VOC person box
CROPS = {
    "train_BLA_0001_6_20.jpg": (71, 175, 140, 255),
    "train_BLA_0001_7_20.jpg": (71, 5, 140, 85),  # the person touches the top of the crop
}


@pytest.mark.parametrize("crop", sorted(CROPS))
@pytest.mark.parametrize("stem", SHARED_DETECTORS)
def test_real_model_finds_the_labelled_person(
    stem: str, crop: str, shared_cards: dict[str, ModelCard], shared_data: Path
) -> None:
    detector = Detector.open(shared_cards[stem], device="cpu", threads=1)
    with open_frame(shared_data / "labelled/heridal_crops_340/images" / crop) as frame:
        found = detector.detect(frame).above(0.3)
    label = np.array([CROPS[crop]], np.float32)
    assert len(found) >= 1
    best = found[np.array([0])]
    assert iou(best.xyxy, label)[0, 0] >= 0.5
    assert set(found.class_ids.tolist()) <= set(shared_cards[stem].person_ids)


@pytest.mark.parametrize("layout", ["channels-first", "anchors-first"])
@pytest.mark.parametrize("boxes", ["pixels", "normalised"])
def test_yolov8_head_in_every_export_shape(
    shared_cards: dict[str, ModelCard], layout: str, boxes: str
) -> None:
    card = replace(shared_cards["yolov8n_coco_int8_640"], output=OutputSpec(boxes=boxes))
    head = np.zeros((1, 84, 8400), np.float32)
    centre = [320.0, 160.0, 40.0, 80.0]
    head[0, :4, 7] = np.array(centre) / (640.0 if boxes == "normalised" else 1.0)
    head[0, 4, 7] = 0.9  # person
    head[0, 6, 9] = 0.95  # a car: not a person, never reported
    head[0, :4, 9] = head[0, :4, 7]
    if layout == "anchors-first":
        head = head.transpose(0, 2, 1)
    (found,) = adapter_for(card).decode([head], min_score=0.1)
    assert found.xyxy.tolist() == [[300, 120, 340, 200]]
    assert found.scores.tolist() == pytest.approx([0.9])


def test_preprocess_follows_the_card(shared_cards: dict[str, ModelCard]) -> None:
    tiles = np.zeros((2, 416, 416, 3), np.uint8)
    tiles[..., 0] = 255  # pure red
    tensor = adapter_for(shared_cards["nanodet_m_416_coco"]).preprocess(tiles)
    assert tensor.shape == (2, 3, 416, 416) and tensor.dtype == np.float32
    # BGR order, normalised by NanoDet's mean and std: red is the last channel
    assert tensor[0, 2, 0, 0] == pytest.approx((255 - 123.675) / 58.395, rel=1e-5)
    assert tensor[0, 0, 0, 0] == pytest.approx((0 - 103.53) / 57.375, rel=1e-5)


def test_inverted_and_broken_boxes_from_a_head_are_repaired_or_dropped(
    shared_cards: dict[str, ModelCard],
) -> None:
    card = replace(shared_cards["yolov8n_coco_int8_640"], output=OutputSpec(boxes="pixels"))
    head = np.zeros((1, 84, 8400), np.float32)
    head[0, :4, 0] = [100, 100, -20, -40]  # negative size
    head[0, :4, 1] = [np.nan, 100, 10, 10]
    head[0, 4, :2] = 0.8
    (found,) = adapter_for(card).decode([head], min_score=0.1)
    assert found.xyxy.tolist() == [[90, 80, 110, 120]]
