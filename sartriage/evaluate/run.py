"""Run a detector over labelled images and tally how it did."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path

from sartriage.detect import Detector, FrameLike
from sartriage.errors import SartriageError, SartriageWarning
from sartriage.evaluate.labels import ImageLabels
from sartriage.evaluate.matching import match
from sartriage.evaluate.metrics import Tally

log = logging.getLogger(__name__)

OpenFrame = Callable[[Path], AbstractContextManager[FrameLike]]


def evaluate(
    detector: Detector, labelled: Sequence[ImageLabels], open_frame: OpenFrame, tally: Tally | None = None
) -> Iterator[tuple[ImageLabels, Tally]]:
    """Detect in each labelled image and add it to ``tally``; yields after each image (for progress).

    An image that cannot be read is logged and left out of the tally; the others go on.
    """
    tally = tally if tally is not None else Tally()
    for item in labelled:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SartriageWarning)  # georeferencing plays no part in scoring
                with open_frame(item.image) as frame:
                    found = detector.detect(frame).detections
                    labels = item.in_pixels(frame.width, frame.height)
        except SartriageError as exc:
            log.warning("%s", exc)
            continue
        tally.add(found.scores, match(found.xyxy, found.scores, labels), len(labels))
        yield item, tally
