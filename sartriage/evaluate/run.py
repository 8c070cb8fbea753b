"""Run a detector over labelled images and tally how it did."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path

import numpy as np

from sartriage.detect import Detector, FrameLike
from sartriage.errors import SartriageError, SartriageWarning
from sartriage.evaluate.labels import ImageLabels
from sartriage.evaluate.matching import match
from sartriage.evaluate.metrics import Tally, TileTally

log = logging.getLogger(__name__)

OpenFrame = Callable[[Path], AbstractContextManager[FrameLike]]


def evaluate(
    detector: Detector,
    labelled: Sequence[ImageLabels],
    open_frame: OpenFrame,
    tally: Tally | None = None,
    tiles: TileTally | None = None,
) -> Iterator[tuple[ImageLabels, Tally]]:
    """Detect in each labelled image and add it to ``tally`` (person boxes only) and to ``tiles`` (what
    triage would send, clues included); yields after each image (for progress).

    An image that cannot be read is logged and left out of the tallies; the others go on.
    """
    tally = tally if tally is not None else Tally()
    for item in labelled:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SartriageWarning)  # georeferencing plays no part in scoring
                with open_frame(item.image) as frame:
                    seen = detector.detect(frame)
                    labels = item.in_pixels(frame.width, frame.height)
        except SartriageError as exc:
            log.warning("%s", exc)
            continue
        found = seen.detections
        tally.add(found.scores, match(found.xyxy, found.scores, labels), len(labels))
        if tiles is not None:
            windows = [(t.x, t.y, t.x + t.w, t.y + t.h) for t in seen.tiles]
            tiles.add(np.array(windows, np.float32), seen.tile_scores, seen.evidence, labels)
        yield item, tally
