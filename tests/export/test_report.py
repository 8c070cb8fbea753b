from __future__ import annotations

import dataclasses
import shutil
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest
from sqlalchemy import func, select
from xt2_mission import Mission

from sartriage.export.coverage import load_coverage
from sartriage.export.records import load_records
from sartriage.export.report import PRINT_DPI, MissionSummary, nice_step, summarise_mission, write_report
from sartriage.store import schema


@pytest.mark.parametrize(
    ("span", "target", "expected"),
    [(1000, 5, 200), (900, 5, 200), (430, 6, 100), (60, 6, 10), (12_000, 6, 2000), (3, 6, 0.5)],
)
def test_nice_steps(span: float, target: int, expected: float) -> None:
    assert nice_step(span, target) == pytest.approx(expected)


@pytest.fixture(scope="module")
def written(mission: Mission, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, MissionSummary]:
    out = tmp_path_factory.mktemp("report") / "report.pdf"
    with mission.open() as store:
        coverage = load_coverage(store, load_records(store))
        summary = summarise_mission(store, coverage)
    write_report(coverage, summary, out, title="XT2 test line")
    return out, summary


def test_summary_counts_match_the_store(mission: Mission, written: tuple[Path, MissionSummary]) -> None:
    _, summary = written
    t = schema.tiles
    with mission.open() as store, store.connect() as conn:
        flagged = conn.execute(select(func.count()).where(t.c.state == "flagged")).scalar_one()
        reviewed = conn.execute(
            select(func.count()).where(
                (t.c.state == "review") | ((t.c.state == "cleared") & t.c.quality_check)
            )
        ).scalar_one()
    assert summary.frames == {"done": 24} and summary.frames_located == 24
    assert summary.tiles == {"cleared": 96 - flagged - reviewed, "reviewed": reviewed, "flagged": flagged}
    assert (summary.tiles_reviewed, summary.answers, summary.volunteers) == (1, 3, 3)
    assert summary.hits["confirmed"] == sum(len(v) for v in mission.views.values())
    assert summary.hits["rejected"] == 1 and summary.persons == 3
    assert summary.models == ("test-model",)
    assert summary.thresholds == {"clear_below": 0.1, "flag_above": 0.6} and not summary.thresholds_observed
    # the XT2 line: 24 frames of about 84 x 67 m, 25 m apart
    assert 40_000 < summary.area_m2 < 60_000


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs pdftoppm (poppler-utils)")
def test_pdf_and_png_are_one_printable_page(written: tuple[Path, MissionSummary], tmp_path: Path) -> None:
    pdf, _ = written
    png = pdf.with_suffix(".png")
    image = cv2.imread(str(png))
    assert image.shape[:2] == (round(8.27 * PRINT_DPI), round(11.69 * PRINT_DPI))  # A4 landscape at 300 dpi
    subprocess.run(["pdftoppm", "-r", "100", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == 1
    page = cv2.imread(str(pages[0]))
    # the three tile classes and the hit markers are drawn in their colours (BGR)
    for rgb in ("#a6d96a", "#fdae61", "#d7191c", "#2b0a8c"):
        target = np.array([int(rgb[i : i + 2], 16) for i in (5, 3, 1)])
        close = np.abs(page.astype(int) - target).sum(axis=2) < 60
        assert close.sum() > 20, rgb


def test_many_unreadable_frames_are_counted_not_listed(written: tuple[Path, MissionSummary]) -> None:
    _, summary = written
    notes = tuple(f"DJI_{i:04d}.JPG: tiles not placed (no such file)" for i in range(24))
    lines = dataclasses.replace(summary, notes=notes).lines()
    assert [line for line in lines if line.startswith("Note:")] == [
        *(f"Note: {n}" for n in notes[:3]),
        "Note: 21 more frames whose tiles could not be placed",
    ]


@pytest.mark.parametrize(
    ("first", "last", "shown"),
    [
        ((2013, 6, 4, 13, 37), (2020, 2, 16, 16, 47), "Flown: 2013-06-04 13:37 – 2020-02-16 16:47 UTC"),
        ((2024, 5, 1, 9, 5), (2024, 5, 1, 11, 40), "Flown: 2024-05-01 09:05 – 11:40 UTC"),
    ],
)
def test_the_flown_line_names_both_dates_when_they_differ(first, last, shown) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from sartriage.export.report import MissionSummary

    summary = MissionSummary(
        mission="m", first_seen=datetime(*first, tzinfo=UTC), last_seen=datetime(*last, tzinfo=UTC),
        flights=2, frames={"done": 3}, frames_located=3, tiles={}, quality_checks=0, tiles_reviewed=0,
        answers=0, volunteers=0, hits={}, persons=0, area_m2=1.0, area_by_class_m2={}, models=("m",),
    )  # fmt: skip
    assert shown in summary.lines()


def test_photos_that_tell_no_time_zone_are_flown_by_the_camera_clock(
    mission: Mission, written: tuple[Path, MissionSummary]
) -> None:
    """The XT2 photos carry their camera's clock only: the report says when, and that the zone is unknown."""
    _, summary = written
    f = schema.frames
    with mission.open() as store, store.connect() as conn:
        first, last = conn.execute(select(func.min(f.c.captured_local), func.max(f.c.captured_local))).one()
    assert summary.camera_clock and (summary.first_seen, summary.last_seen) == (first, last)
    assert f"Flown: {first:%Y-%m-%d %H:%M} – {last:%H:%M} camera clock, time zone unknown" in summary.lines()
    assert summary.to_json()["camera_clock"] is True
