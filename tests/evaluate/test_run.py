"""``evaluate`` on a real search photo: clues widen what triage sends, never the person figures."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from sartriage.detect import Detector
from sartriage.detect.adapters import adapter_for
from sartriage.evaluate import ImageLabels, Tally, TileTally, evaluate
from sartriage.frames import open_frame

LACMUS = "geotagged/lacmus_ladd_335/335.jpg"
# the two people on snow, boxed by eye (one lying, one sitting), frame pixels x1, y1, x2, y2
PEOPLE = np.array([[1735, 1615, 1815, 1668], [1605, 2790, 1745, 2870]], np.float32)


@pytest.mark.filterwarnings("ignore::sartriage.errors.SartriageWarning")
def test_clues_never_count_as_people_but_bring_them_to_review(shared_data: Path) -> None:
    labelled = [ImageLabels(shared_data / LACMUS, PEOPLE)]
    with_clues = Detector.open(device="cpu")
    card = replace(with_clues.card, clue_ids=())
    persons_only = Detector(card, with_clues.session, adapter_for(card))
    results = {}
    for name, detector in (("clues", with_clues), ("plain", persons_only)):
        tally, tiles = Tally(), TileTally()
        assert len(list(evaluate(detector, labelled, open_frame, tally, tiles))) == 1
        results[name] = tally, tiles
    review = with_clues.card.thresholds.review
    (tally, tiles), (plain_tally, plain_tiles) = results["clues"], results["plain"]
    for threshold in (0.05, review, 0.3):
        assert tally.at(threshold) == plain_tally.at(threshold)
    assert tally.average_precision() == plain_tally.average_precision()
    reach, plain_reach = tiles.at(review), plain_tiles.at(review)
    assert reach.people_by_person_score == plain_reach.people == plain_reach.people_by_person_score
    assert reach.people == 1.0 > plain_reach.people  # the person score alone leaves someone in a cleared tile
    assert reach.tiles_by_person_score == plain_reach.tiles_per_image < reach.tiles_per_image
