"""The committed default model: its card matches the file, its graph matches the card, it finds people."""

from __future__ import annotations

from pathlib import Path

import cv2
import defusedxml.ElementTree as ElementTree
import numpy as np
import onnxruntime as ort
import pytest

from sartriage.detect.card import DEFAULT_MODEL, ModelCard, card_path_for, find_card, sha256_of

DETECTIONS = "tower_0/detections"


@pytest.fixture(scope="module")
def card() -> ModelCard:
    return find_card()  # the default model; raises ModelError if the sha256 does not match


@pytest.fixture(scope="module")
def session(card: ModelCard) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.log_severity_level = 3
    return ort.InferenceSession(str(card.model_path), options, providers=["CPUExecutionProvider"])


def test_card_sha256_is_the_committed_file(card: ModelCard) -> None:
    assert card.path == card_path_for(DEFAULT_MODEL).resolve()
    assert card.sha256 == sha256_of(DEFAULT_MODEL)
    assert card.family == "centernet"
    assert card.person_ids == (0,)
    assert card.class_names[0] == "person"
    assert len(card.class_names) == 80


def test_graph_matches_the_card(card: ModelCard, session: ort.InferenceSession) -> None:
    (image,) = session.get_inputs()
    assert image.name == card.input.name
    assert image.shape == ["batch", card.input.height, card.input.width, 3]  # NHWC, dynamic batch
    assert card.input.layout == "NHWC"
    assert card.input.dynamic_batch
    shapes = {o.name: o.shape for o in session.get_outputs()}
    assert shapes == {DETECTIONS: ["batch", 100, 6], "tower_0/keypoints": ["batch", 128, 128, 80]}


def heridal_crop(shared_data: Path, stem: str, card: ModelCard) -> tuple[np.ndarray, np.ndarray]:
    """A 340x340 HERIDAL crop letterboxed into the model input as the card says, and its person box."""
    folder = shared_data / "labelled" / "heridal_crops_340"
    image = cv2.imread(str(folder / "images" / f"{stem}.jpg"))
    assert image is not None, f"cannot read the HERIDAL crop {stem}"
    pixels = image[:, :, ::-1]  # RGB, as the card says
    box = ElementTree.parse(folder / "labels" / f"{stem}.xml").getroot().find("object/bndbox")
    label = np.array([float(box.findtext(k)) for k in ("xmin", "ymin", "xmax", "ymax")])
    size = card.input.width
    canvas = np.full((size, size, 3), card.input.pad_value, np.uint8)
    top, left = (size - pixels.shape[0]) // 2, (size - pixels.shape[1]) // 2
    canvas[top : top + pixels.shape[0], left : left + pixels.shape[1]] = pixels
    return canvas, label + np.array([left, top, left, top])


@pytest.mark.parametrize(
    "stem", ["train_BLA_0001_6_19", "train_BLA_0002_6_19", "train_BLA_0003_6_20", "train_BLA_0002_9_2"]
)
def test_finds_the_labelled_person(
    stem: str, card: ModelCard, session: ort.InferenceSession, shared_data: Path
) -> None:
    canvas, label = heridal_crop(shared_data, stem, card)
    batch = np.stack([canvas, canvas[:, ::-1]]).astype(np.float32)  # batch 2: the crop and its mirror
    detections = session.run([DETECTIONS], {card.input.name: batch})[0]
    single = session.run([DETECTIONS], {card.input.name: batch[:1]})[0]
    np.testing.assert_allclose(detections[:1], single, atol=1e-4)

    rows = detections[0]
    people = rows[np.isin(rows[:, 5], card.person_ids) & (rows[:, 4] >= card.thresholds.review)]
    centre_x, centre_y = (people[:, 0] + people[:, 2]) / 2, (people[:, 1] + people[:, 3]) / 2
    inside = (centre_x >= label[0]) & (centre_x <= label[2]) & (centre_y >= label[1]) & (centre_y <= label[3])
    assert inside.any(), f"no person >= {card.thresholds.review} on the labelled one in {stem}: {people}"
    assert len(people) == 1  # one person in the crop, one box at the review threshold
