"""What the flights panel says about a running scan."""

from __future__ import annotations

from pathlib import Path

import pytest

from sartriage.scan import ScanProgress
from ui.mission_panel import MissionPanel, describe, duration


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "–"), (0.4, "0 s"), (59.6, "1 min 00 s"), (754, "12 min 34 s"), (3 * 3600 + 125, "3 h 02 min")],
)
def test_duration(seconds: float | None, text: str) -> None:
    assert duration(seconds) == text


def _progress(**values) -> ScanProgress:  # type: ignore[no-untyped-def]
    base = dict(
        flight="card-2", flight_id=1, phase="scanning", frames_total=10, frames_done=3, frames_failed=1
    )
    return ScanProgress(**(base | values))


@pytest.mark.parametrize(
    ("progress", "lines"),
    [
        (
            _progress(
                frame=Path("/c/DJI_0010.JPG"), tiles=120, tiles_per_s=14.26, megapixels_per_s=3.1, eta_s=95
            ),
            [
                "card-2: scanning · DJI_0010.JPG",
                "14.3 tiles/s · 3.1 million pixels/s · about 1 min 35 s left",
            ],
        ),
        (
            _progress(frame=Path("/c/bad.jpg"), tiles=120, tiles_per_s=2.0, error="bad.jpg: damaged"),
            ["card-2: scanning · bad.jpg", "2.0 tiles/s · 0.00 million pixels/s", "failed: bad.jpg: damaged"],
        ),
        (_progress(phase="finding", frame=Path("/c/a.jpg")), ["card-2: finding · a.jpg"]),
        (
            _progress(phase="watching", tiles=48, tiles_per_s=1.5, megapixels_per_s=0.33),
            ["card-2: watching", "1.5 tiles/s · 0.33 million pixels/s"],
        ),
    ],
)
def test_describe(progress: ScanProgress, lines: list[str]) -> None:
    assert describe(progress).split("\n") == lines


def test_pause_and_cancel_drop_the_time_left_and_a_new_mission_shows_no_count(qtbot) -> None:  # type: ignore[no-untyped-def]
    panel = MissionPanel()
    qtbot.addWidget(panel)
    assert panel.bar.text() == "no scan yet"  # not "0 / 1 frames"
    panel.set_mission("/missions/m.sqlite")
    running = _progress(
        frame=Path("/c/DJI_0010.JPG"), tiles=120, tiles_per_s=14.0, megapixels_per_s=3.1, eta_s=179
    )
    panel.set_progress(running)
    panel.set_running(True, False)
    assert "about 2 min 59 s left" in panel.now.text() and panel.bar.text() == "4 / 10 frames"
    panel.set_running(True, True)
    assert panel.now.text() == "card-2: paused: press Resume to carry on"
    panel.set_running(False, False)
    assert panel.now.text() == "card-2: stopped"
    panel.set_mission("/missions/new.sqlite")
    assert panel.now.text() == "" and panel.bar.text() == "no scan yet"
