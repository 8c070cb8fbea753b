from __future__ import annotations

from pathlib import Path

import pytest

from sartriage.detect.card import ModelCard
from sartriage.detect.inspect import draft_card
from sartriage.errors import ModelError


@pytest.mark.parametrize(
    ("stem", "family", "layout", "size", "colour", "boxes"),
    [
        ("yolov8n_coco_int8_640", "yolov8", "NCHW", 640, "RGB", "pixels"),
        ("yolo11n_visdrone_640", "yolov8", "NHWC", 640, "RGB", "pixels"),
        ("yolox_nano_416_coco", "yolox", "NCHW", 416, "BGR", "pixels"),
        ("nanodet_m_416_coco", "nanodet", "NCHW", 416, "BGR", "pixels"),
    ],
)
def test_family_and_input_are_read_from_the_graph(
    shared_cards: dict[str, ModelCard],
    stem: str,
    family: str,
    layout: str,
    size: int,
    colour: str,
    boxes: str,
) -> None:
    card = shared_cards[stem]
    assert (card.family, card.input.layout, card.input.width, card.input.colour) == (
        family,
        layout,
        size,
        colour,
    )
    assert card.output.boxes == boxes and not card.output.nms_inside
    assert ModelCard.load(card.path).to_dict() == card.to_dict()  # the draft is a valid card
    assert len(card.sha256) == 64


def test_ultralytics_metadata_gives_the_class_names(shared_cards: dict[str, ModelCard]) -> None:
    card = shared_cards["yolov8n_coco_int8_640"]
    assert len(card.class_names) == 80 and card.class_names[0] == "person" and card.person_ids == (0,)


def test_a_ten_class_graph_without_names_is_read_as_visdrone_with_both_person_classes(
    shared_cards: dict[str, ModelCard],
) -> None:
    card = shared_cards["yolo11n_visdrone_640"]  # its graph carries no class names
    assert card.class_names[:2] == ("pedestrian", "people") and card.person_ids == (0, 1)


def test_not_a_detector_is_a_clear_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"\x00" * 16)
    with pytest.raises(ModelError, match=r"junk\.onnx"):
        draft_card(junk)
    with pytest.raises(ModelError, match="not found"):
        draft_card(tmp_path / "missing.onnx")
