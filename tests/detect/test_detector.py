"""The Detector on real frames with the shipped model: plan, cut, seams, GSD-aware scale."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from sartriage.detect import Detector
from sartriage.detect.adapters import adapter_for
from sartriage.detect.boxes import iou
from sartriage.detect.card import DEFAULT_MODEL
from sartriage.errors import ModelError, SartriageWarning
from sartriage.frames import open_frame

UNICAMP = "labelled/unicamp_uav/images/DJI_0083_1064.jpg"


@dataclass(frozen=True)
class ArrayFrame:
    """A FrameLike over pixels already in memory (a cut-out of a real frame), with a chosen GSD."""

    pixels: np.ndarray
    gsd_m: float | None = None

    @property
    def width(self) -> int:
        return self.pixels.shape[1]

    @property
    def height(self) -> int:
        return self.pixels.shape[0]

    def read(self, window=None, out_size=None) -> np.ndarray:  # type: ignore[no-untyped-def]
        part = self.pixels[window.y : window.y + window.h, window.x : window.x + window.w]
        return cv2.resize(part, out_size, interpolation=cv2.INTER_LINEAR) if out_size else part.copy()


@pytest.fixture(scope="module")
def detector() -> Detector:
    if not DEFAULT_MODEL.exists():
        pytest.skip("the default model is not in sartriage/models/ yet")
    return Detector.open(device="cpu", threads=1)


@pytest.fixture(scope="module")
def unicamp(shared_data: Path) -> Iterator[np.ndarray]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SartriageWarning)
        with open_frame(shared_data / UNICAMP) as frame:
            yield frame.read()


def test_default_model_opens_on_the_cpu_here(detector: Detector) -> None:
    assert detector.provider == "CPU" and detector.card.family == "centernet"


def test_plan_and_cut_a_real_frame(detector: Detector, unicamp: np.ndarray) -> None:
    frame = ArrayFrame(unicamp)
    tiles = detector.plan(frame)
    size = detector.card.input.width
    assert all(t.out_size == (size, size) and t.fits(frame.width, frame.height) for t in tiles)
    assert all(t.scale == pytest.approx(detector.card.scale.default, rel=0.01) for t in tiles)
    batch = detector.cut(frame, tiles[-2:])
    assert batch.shape == (2, size, size, 3) and batch.dtype == np.uint8
    last = tiles[-1]
    if last.scale == 1.0:
        np.testing.assert_array_equal(batch[1], unicamp[last.y : last.y + last.h, last.x : last.x + last.w])


@pytest.mark.parametrize(("gsd_m", "expected_scale"), [(1.7 / 24, 2.0), (1.7 / 96, 0.5)])
def test_known_gsd_resamples_so_a_person_spans_the_cards_size(
    detector: Detector, unicamp: np.ndarray, gsd_m: float, expected_scale: float
) -> None:
    wanted = detector.card.scale.person_px * gsd_m / 1.7
    tiles = detector.plan(ArrayFrame(unicamp, gsd_m=gsd_m))
    assert tiles[0].scale == pytest.approx(wanted, rel=0.01)
    assert wanted == pytest.approx(expected_scale * detector.card.scale.person_px / 48)


def test_person_on_a_seam_is_found_once(detector: Detector, unicamp: np.ndarray) -> None:
    # label 1 of the frame: a person about 50x100 px centred near (1105, 1991); cut a strip of two tiles
    # so the person sits in the overlap of both
    size = detector.card.input.width
    x0, y0 = 1105 - 460, unicamp.shape[0] - size
    frame = ArrayFrame(np.ascontiguousarray(unicamp[y0 : y0 + size, x0 : x0 + size + 410]))
    label = np.array([[1080 - x0, 1941 - y0, 1130 - x0, 2042 - y0]], np.float32)
    result = detector.detect(frame)
    assert len(result.tiles) == 2 and all(t.contains(460, 340) for t in result.tiles)
    on_person = result.above(detector.card.thresholds.review)
    on_person = on_person[iou(on_person.xyxy, label)[:, 0] > 0.1]
    assert len(on_person) == 1
    assert result.tile_scores.min() >= on_person.scores[0]  # both tiles see that person


def test_wrong_input_name_in_the_card_is_a_clear_error(detector: Detector, tmp_path: Path) -> None:
    text = detector.card.path.read_text().replace('name = "tower_0/images:0"', 'name = "images"')
    card = tmp_path / "centernet_mobilenetv3_512.card.toml"
    card.write_text(text.replace('file = "centernet_mobilenetv3_512.onnx"', f'file = "{DEFAULT_MODEL}"'))
    with pytest.raises(ModelError, match="the model's input is 'tower_0/images:0'"):
        Detector.open(card, device="cpu")


LACMUS = "geotagged/lacmus_ladd_335/335.jpg"
LACMUS_PEOPLE = ((1775, 1640), (1650, 2825))  # lying / sitting on snow, by eye


@pytest.fixture(scope="module")
def lacmus_tiles(shared_data: Path, detector: Detector) -> list[tuple[ArrayFrame, tuple[float, float]]]:
    """The scan's own tile windows over the two people of a real search photo, as frames of their own,
    each with the person's position in it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SartriageWarning)
        with open_frame(shared_data / LACMUS) as frame:
            tiles = detector.plan(frame)
            crops = []
            for px, py in LACMUS_PEOPLE:
                tile = next(t for t in tiles if t.contains(px, py))
                crops.append((ArrayFrame(frame.read(tile), gsd_m=frame.gsd_m), (px - tile.x, py - tile.y)))
    return crops


def test_clues_are_kept_apart_from_persons(
    detector: Detector, lacmus_tiles: list[tuple[ArrayFrame, tuple[float, float]]]
) -> None:
    card = detector.card
    plain_card = replace(card, clue_ids=())
    persons_only = Detector(plain_card, detector.session, adapter_for(plain_card))
    for crop, _ in lacmus_tiles:
        found, plain = detector.detect(crop), persons_only.detect(crop)
        assert len(found.tiles) == 1  # the crop is one scan tile, seen at the same scale
        assert np.isin(found.detections.class_ids, card.person_ids).all()
        assert len(found.clues) and np.isin(found.clues.class_ids, card.clue_ids).all()
        np.testing.assert_array_equal(found.detections.xyxy, plain.detections.xyxy)
        np.testing.assert_array_equal(found.detections.scores, plain.detections.scores)
        np.testing.assert_array_equal(found.tile_scores, plain.tile_scores)
        assert not len(plain.clues) and plain.evidence[0] == plain.tile_scores[0]
        assert found.clue_scores[0] == found.clues.scores.max()  # type: ignore[index]
        assert found.evidence[0] == max(found.tile_scores[0], found.clue_scores[0])  # type: ignore[index]
        everything, tile_ids = found.stored()
        assert len(everything) == len(tile_ids) == len(found.detections) + len(found.clues)


def test_a_person_seen_from_above_on_snow_is_evidence_for_review(
    detector: Detector, lacmus_tiles: list[tuple[ArrayFrame, tuple[float, float]]]
) -> None:
    review = detector.card.thresholds.review
    for crop, (x, y) in lacmus_tiles:
        found = detector.detect(crop)
        assert found.evidence[0] >= review
        on_person = found.clues[found.clues.scores >= review]
        centres = on_person.centres
        assert (np.hypot(centres[:, 0] - x, centres[:, 1] - y) < 60).any()  # the model's "kite" is the person
