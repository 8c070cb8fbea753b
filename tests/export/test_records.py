from __future__ import annotations

from pathlib import Path

import pytest
from xt2_mission import Mission, build_mission

from sartriage.export.coverage import load_coverage
from sartriage.export.records import ExportOptions, load_records
from sartriage.export.report import summarise_mission
from sartriage.hits import HitFilter


def test_same_records_and_summary_on_every_backend(
    mission: Mission, xt2_frames: list[Path], store_target: str
) -> None:
    """Export queries (hits, volunteers' answers, counts) give the same results on SQLite and PostgreSQL."""
    other = build_mission(xt2_frames, store_target)
    options = ExportOptions(filter=HitFilter(statuses=("confirmed", "rejected")))
    with mission.open() as a, other.open() as b:
        ours, theirs = load_records(a, options), load_records(b, options)
        summary_a = summarise_mission(a, load_coverage(a, ours)).to_json()
        summary_b = summarise_mission(b, load_coverage(b, theirs)).to_json()
    assert [r.properties() for r in ours] == [r.properties() for r in theirs]
    assert {k: v for k, v in summary_a.items() if k != "area_m2"} == {
        k: v for k, v in summary_b.items() if k != "area_m2"
    }
    assert summary_a["area_m2"] == pytest.approx(summary_b["area_m2"])
