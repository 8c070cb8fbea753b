"""Errors reach the coordinator as one sentence; the traceback goes to the log only."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

from sartriage.errors import FrameError, StoreError
from ui.messages import human_message, install_excepthook


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            StoreError("/m.sqlite: the store is read-only: copy it somewhere writable"),
            "/m.sqlite: the store is read-only",
        ),
        (FrameError("/card/DJI_0001.JPG: OpenCV cannot decode the image data"), "/card/DJI_0001.JPG: OpenCV"),
        (FileNotFoundError(2, "No such file", "/media/card/DCIM"), "/media/card/DCIM: not found"),
        (PermissionError(13, "Permission denied", "/mnt/out.gpx"), "/mnt/out.gpx: not allowed"),
        (OSError(28, "No space left on device"), "No space left on device; check the disk"),
        (MemoryError(), "ran out of memory"),
        (KeyError("frame_id"), "something went wrong (KeyError: 'frame_id')"),
    ],
)
def test_human_message(error: BaseException, expected: str) -> None:
    text = human_message(error)
    assert expected in text
    assert "Traceback" not in text and "\n" not in text


def test_excepthook_logs_the_traceback_and_shows_a_sentence(caplog: pytest.LogCaptureFixture) -> None:
    shown: list[str] = []
    previous = sys.excepthook
    try:
        install_excepthook(shown.append)
        try:
            raise FrameError(f"{Path('/card/x.jpg')}: the file is damaged")
        except FrameError:
            with caplog.at_level(logging.ERROR):
                sys.excepthook(*sys.exc_info())  # type: ignore[arg-type]
    finally:
        sys.excepthook = previous
    assert shown == ["/card/x.jpg: the file is damaged"]
    assert caplog.records[-1].exc_info is not None  # the traceback is in the log
