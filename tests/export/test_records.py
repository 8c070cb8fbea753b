from __future__ import annotations

from pathlib import Path

import pytest
from xt2_mission import Mission, build_mission

from sartriage.export.coverage import load_coverage
from sartriage.export.records import ExportOptions, load_records
from sartriage.export.report import summarise_mission
from sartriage.hits import HitFilter, mark_found


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


def test_views_of_a_person_already_found_leave_the_confirmed_export(
    xt2_frames: list[Path], tmp_path: Path
) -> None:
    """P1 is confirmed in five frames; the ground team marks one of those views found. The other four stay
    confirmed in the store, but they are the same person: the export for ground teams drops them."""
    mission = build_mission(xt2_frames, tmp_path / "m.sqlite")
    p1 = sorted(mission.views["P1"])
    with mission.open() as store:
        before = load_records(store)
        mark_found(store, p1[2])
        after = load_records(store)
        both = load_records(store, ExportOptions(filter=HitFilter(statuses=("confirmed", "found"))))
        ungrouped = load_records(store, ExportOptions(group=False))

    assert sorted(r.group.hit_ids for r in before) == sorted(tuple(sorted(v)) for v in mission.views.values())
    assert [r.group.hit_ids for r in after] == [
        r.group.hit_ids for r in before if r.group.hit_ids != tuple(p1)
    ]
    found = [r for r in both if r.group.hit_ids == tuple(p1)]
    assert len(found) == 1 and found[0].group.status == "found"
    # without grouping every confirmed view is its own record, as asked
    assert len(ungrouped) == sum(len(v) for v in mission.views.values()) - 1
