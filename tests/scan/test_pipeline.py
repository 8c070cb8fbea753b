"""The scan end to end, in process, on real shared frames mixed with broken files."""

from __future__ import annotations

import contextlib
import shutil
import warnings
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from scan_support import FLAG, REVIEW, add_broken_files, copy_frames, deervision, heridal, snapshot
from sqlalchemy import select

from sartriage.detect import Detector
from sartriage.frames import georef_from_record, open_frame
from sartriage.scan import ScanOptions, ScanProgress, scan
from sartriage.scan.claims import resumed_differently, status_counts
from sartriage.store import Store, open_store, schema

pytestmark = pytest.mark.filterwarnings("ignore::sartriage.errors.SartriageWarning")

LACMUS = "geotagged/lacmus_ladd_335/335.jpg"  # a real search photo with two people, georeferenced
TINY_TIFF = "geotagged/edge_cases/webodm_tiny_drone_image_multispec.tif"


@pytest.fixture
def flight(shared_data: Path, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    folder = tmp_path / "flight 3"
    copy_frames(shared_data, folder, [LACMUS, TINY_TIFF, *deervision(shared_data, 2)])
    copy_frames(shared_data, folder / "DCIM" / "100MEDIA", heridal(shared_data, 4))
    broken = add_broken_files(folder / "DCIM" / "101MEDIA", shared_data / heridal(shared_data, 6)[5])
    return folder, broken


@pytest.fixture
def small_flight(shared_data: Path, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    folder = tmp_path / "flight 4"
    copy_frames(shared_data, folder, [TINY_TIFF, *deervision(shared_data, 1), *heridal(shared_data, 4)])
    broken = add_broken_files(folder / "broken", shared_data / heridal(shared_data, 6)[5])
    return folder, broken


def run(store: Store, folder: Path, detector: Detector, **options: object) -> list[ScanProgress]:
    return list(scan(store, folder, detector, ScanOptions(**options)))  # type: ignore[arg-type]


def test_scan_stores_tiles_states_detections_hits_and_errors(
    flight: tuple[Path, dict[str, str]], detector: Detector, store_target: str
) -> None:
    folder, broken = flight
    with open_store(store_target) as store:
        steps = run(store, folder, detector)
        stored = snapshot(store)
        with store.connect() as conn:
            frames = {Path(r.path).name: r for r in conn.execute(select(schema.frames)).mappings()}

    last = steps[-1]
    assert last.phase == "finished"
    assert (last.frames_total, last.frames_done, last.frames_failed) == (11, 8, 3)
    finished = [s.frames_done + s.frames_failed for s in steps if s.phase == "scanning"]
    assert finished == sorted(finished) and finished[-1] == 11

    for name, words in broken.items():
        row = frames[name]
        assert row.status == "failed"
        assert name in row.error and words in row.error and "\n" not in row.error
        assert not [t for t in stored["tiles"] if t[0] == row.path]

    for name, row in frames.items():
        if name in broken:
            continue
        assert row.status == "done", row.error
        with warnings.catch_warnings(), open_frame(row.path) as frame:
            warnings.simplefilter("ignore")
            expected = detector.detect(frame)
            ground = frame.georef.pixel_to_ground(*expected.detections.centres.T)
            assert (row.width, row.height) == (frame.width, frame.height)
        kept = georef_from_record(row.georef, name)  # what later positions come from, without the file
        assert kept.kind == frame.georef.kind
        np.testing.assert_allclose(kept.pixel_to_ground(*expected.detections.centres.T), ground)
        tiles = [t for t in stored["tiles"] if t[0] == row.path]
        assert [t[1:5] for t in tiles] == sorted((t.x, t.y, t.w, t.h) for t in expected.tiles)
        by_window = {
            (t.x, t.y, t.w, t.h): float(s) for t, s in zip(expected.tiles, expected.tile_scores, strict=True)
        }
        for _, x, y, w, h, _scale, score, state, quality in tiles:
            assert score == pytest.approx(by_window[(x, y, w, h)], abs=1e-4)
            if quality:
                assert state == "review" and score < REVIEW
            elif row.imagery == "thermal":  # the test card's model is not fit for thermal: nothing cleared
                assert state == ("flagged" if score >= FLAG else "review")
            else:
                assert state == ("flagged" if score >= FLAG else "review" if score >= REVIEW else "cleared")
        dets = [d for d in stored["detections"] if d[0] == row.path]
        assert len(dets) == len(expected.detections)
        if frame.georef:
            assert sorted(d[-2] for d in dets) == pytest.approx(sorted(ground[0]), abs=1e-6)
        else:
            assert all(d[-2] is None and d[-1] is None for d in dets)
        flagged = {t[1:5] for t in tiles if t[7] == "flagged"}
        hits = [h for h in stored["hits"] if h[0] == row.path]
        assert {h[1:5] for h in hits} <= flagged
        points = [(h[5], h[6]) for h in hits]
        assert len(set(points)) == len(points)  # a person on a seam of two flagged tiles is one candidate
        for x, y, w, h in flagged:
            assert any(x <= hx < x + w and y <= hy < y + h for hx, hy in points)
        for _, x, y, w, h, hx, hy, source, status, _lon, _lat in hits:
            assert (source, status) == ("detector", "candidate")
            assert x <= hx < x + w and y <= hy < y + h

    assert stored["hits"], "the HERIDAL crops hold people the detector flags"
    lacmus = frames["335.jpg"]
    seen = [d for d in stored["detections"] if d[0] == lacmus.path]
    for person in ((1775, 1640), (1650, 2825)):  # the two people in the photo, by eye
        near = [
            d
            for d in seen
            if abs((d[5] + d[7]) / 2 - person[0]) < 60 and abs((d[6] + d[8]) / 2 - person[1]) < 60
        ]
        assert near, f"no detection of the person near {person}"
        lon, lat = near[0][-2], near[0][-1]  # on the ground within a few hundred metres of the drone
        assert abs(lon - lacmus.lon) < 0.005 and abs(lat - lacmus.lat) < 0.005
    assert frames["DJI_0002_R.JPG"].lon is not None and frames["DJI_0002_R.JPG"].footprint


def test_a_second_run_and_a_recopied_card_add_nothing(
    small_flight: tuple[Path, dict[str, str]], detector: Detector, tmp_path: Path
) -> None:
    folder, _ = small_flight
    with open_store(tmp_path / "mission.sqlite") as store:
        run(store, folder, detector)
        before = snapshot(store)
        again = run(store, folder, detector)
        assert snapshot(store) == before
        assert again[-1].tiles == 0
        copy = tmp_path / "card copied again"
        shutil.copytree(folder, copy)
        recopied = run(store, copy, detector)
        assert recopied[-1].duplicates == 9
        assert recopied[-1].frames_total == 0
        assert snapshot(store) == before


def test_a_fixed_file_is_scanned_on_the_next_run(
    small_flight: tuple[Path, dict[str, str]], detector: Detector, tmp_path: Path, shared_data: Path
) -> None:
    folder, _ = small_flight
    with open_store(tmp_path / "mission.sqlite") as store:
        run(store, folder, detector)
        empty = folder / "broken" / "empty.jpg"
        shutil.copyfile(shared_data / deervision(shared_data, 5)[4], empty)  # copied off the card again
        last = run(store, folder, detector)[-1]
        assert (last.frames_done, last.frames_failed, last.frames_total) == (7, 2, 9)


def test_closing_the_generator_gives_unfinished_claims_back(
    small_flight: tuple[Path, dict[str, str]], detector: Detector, tmp_path: Path
) -> None:
    folder, _ = small_flight
    with open_store(tmp_path / "paused.sqlite") as store:
        with contextlib.closing(scan(store, folder, detector, ScanOptions(readers=2))) as steps:
            for step in steps:
                if step.phase == "scanning":
                    break
        flight_id = step.flight_id
        counts = status_counts(store, flight_id)
        assert counts["claimed"] == 0
        assert 1 <= counts["done"] + counts["failed"] < 9
        run(store, folder, detector)
        resumed = snapshot(store)
    with open_store(tmp_path / "whole.sqlite") as store:
        run(store, folder, detector)
        assert snapshot(store) == resumed


def test_quality_checks_are_stored_and_marked(
    small_flight: tuple[Path, dict[str, str]], detector: Detector, tmp_path: Path
) -> None:
    from sartriage.scan import TriageRules

    folder, _ = small_flight
    fit_for_all = Detector.open(replace(detector.card, imagery=("rgb", "thermal")), device="cpu")
    with open_store(tmp_path / "mission.sqlite") as store:
        run(store, folder, fit_for_all, rules=TriageRules(REVIEW, FLAG, quality_share=0.5))
        tiles = snapshot(store)["tiles"]
    checks = [t for t in tiles if t[8]]
    cleared = [t for t in tiles if t[7] == "cleared"]
    assert checks and cleared
    assert all(t[7] == "review" and t[6] < REVIEW for t in checks)
    assert 0.2 < len(checks) / (len(checks) + len(cleared)) < 0.8


def test_the_mission_keeps_the_model_and_thresholds_it_was_triaged_with(
    small_flight: tuple[Path, dict[str, str]], detector: Detector, tmp_path: Path
) -> None:
    from sartriage.export.coverage import load_coverage
    from sartriage.export.report import summarise_mission
    from sartriage.scan import TriageRules

    folder, _ = small_flight
    with open_store(tmp_path / "mission.sqlite") as store:
        run(store, folder, detector, rules=TriageRules(0.21, 0.52, quality_share=0.03))
        with store.connect() as conn:
            settings = conn.execute(select(schema.missions.c.settings)).scalar_one()
        summary = summarise_mission(store, load_coverage(store))
    assert settings["model"] == (detector.card.name or detector.card.file)
    assert settings["thresholds"] == {"review": 0.21, "flag": 0.52, "quality share": 0.03}
    assert summary.thresholds == settings["thresholds"] and not summary.thresholds_observed


def test_a_missing_folder_is_a_clear_error(tmp_path: Path, detector: Detector) -> None:
    from sartriage.errors import FrameError

    with open_store(tmp_path / "m.sqlite") as store, pytest.raises(FrameError, match="not a folder"):
        run(store, tmp_path / "nowhere", detector)


@pytest.mark.timeout(180)
def test_watch_takes_frames_as_they_appear_until_closed(
    shared_data: Path, detector: Detector, tmp_path: Path
) -> None:
    folder = tmp_path / "card being copied"
    copy_frames(shared_data, folder, heridal(shared_data, 1))
    phases, copied = set(), False
    with open_store(tmp_path / "mission.sqlite") as store:
        steps = scan(store, folder, detector, ScanOptions(watch=True, poll_s=0.2))
        with contextlib.closing(steps):
            for step in steps:
                phases.add(step.phase)
                if step.frames_done == 1 and not copied:  # more of the card arrives
                    copy_frames(shared_data, folder / "DCIM", heridal(shared_data, 3)[1:])
                    copied = True
                if step.frames_done == 3:
                    break
        assert status_counts(store, step.flight_id) == {"pending": 0, "claimed": 0, "done": 3, "failed": 0}
    assert "watching" in phases and "finished" not in phases


def test_frames_detected_chunk_by_chunk_store_what_whole_frames_do(
    small_flight: tuple[Path, dict[str, str]],
    detector: Detector,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sartriage.scan import pipeline

    folder, _ = small_flight
    with open_store(tmp_path / "whole.sqlite") as store:
        run(store, folder, detector)
        whole = snapshot(store)
    assert max(sum(1 for t in whole["tiles"] if t[0] == path) for path, *_ in whole["frames"]) > 3
    monkeypatch.setattr(pipeline, "CHUNK_TILES", 3)
    with open_store(tmp_path / "chunked.sqlite") as store:
        run(store, folder, detector)
        assert snapshot(store) == whole


def test_retry_failed_reads_failed_frames_again(
    small_flight: tuple[Path, dict[str, str]], detector: Detector, tmp_path: Path
) -> None:
    folder, broken = small_flight
    failed_at = select(schema.frames.c.path, schema.frames.c.processed_at).where(
        schema.frames.c.status == "failed"
    )
    with open_store(tmp_path / "mission.sqlite") as store:
        run(store, folder, detector)
        with store.connect() as conn:
            before = dict(conn.execute(failed_at).all())
        assert run(store, folder, detector)[-1].tiles == 0  # a plain rerun leaves failed frames alone
        with store.connect() as conn:
            assert dict(conn.execute(failed_at).all()) == before
        last = run(store, folder, detector, retry_failed=True)[-1]
        with store.connect() as conn:
            after = dict(conn.execute(failed_at).all())
    assert (last.frames_done, last.frames_failed) == (6, 3)
    assert {Path(p).name for p in after} == set(broken)
    assert all(after[p] > before[p] for p in before)


def test_clues_send_the_lacmus_people_to_review_with_the_shipped_model(
    shared_data: Path, tmp_path: Path
) -> None:
    """The shipped card's clue classes catch the two people on snow its person class scores too low."""
    shipped = Detector.open(None, device="cpu")
    folder = tmp_path / "lacmus"
    copy_frames(shared_data, folder, [LACMUS])
    with open_store(tmp_path / "mission.sqlite") as store:
        run(store, folder, shipped)
        de, ti = schema.detections, schema.tiles
        with store.connect() as conn:
            rows = conn.execute(
                select(
                    de.c.id, de.c.x1, de.c.y1, de.c.x2, de.c.y2, de.c.class_id, de.c.clue, ti.c.state
                ).select_from(de.join(ti, de.c.tile_id == ti.c.id))
            ).all()
            hit_detections = conn.execute(select(schema.hits.c.detection_id)).scalars().all()
    clues = [r for r in rows if r.clue]
    assert clues and all(r.class_id in shipped.card.clue_ids for r in clues)
    assert all(r.class_id in shipped.card.person_ids for r in rows if not r.clue)
    for person in ((1775, 1640), (1650, 2825)):  # the two people in the photo, by eye
        seen = [
            r
            for r in rows
            if abs((r.x1 + r.x2) / 2 - person[0]) < 80 and abs((r.y1 + r.y2) / 2 - person[1]) < 80
        ]
        assert seen and all(r.state != "cleared" for r in seen), person
    assert set(hit_detections) <= {r.id for r in rows if not r.clue}  # a clue never makes a hit


def test_capture_times_are_utc_only_when_the_photo_says_so(
    shared_data: Path, tmp_path: Path, detector: Detector, store_target: str
) -> None:
    caliterra = sorted((shared_data / "geotagged/odm_caliterra").glob("*.jpg"))[0]
    folder = tmp_path / "two clocks"
    copy_frames(shared_data, folder, [str(caliterra.relative_to(shared_data)), LACMUS])
    with open_store(store_target) as store:
        run(store, folder, detector)
        with store.connect() as conn:
            rows = {
                Path(r.path).name: r
                for r in conn.execute(
                    select(schema.frames.c.path, schema.frames.c.captured_at, schema.frames.c.captured_local)
                )
            }
    gps = rows[caliterra.name]  # the camera said 13:20:51 (local); its GPS receiver 18:20:51 UTC
    assert (
        gps.captured_at.replace(tzinfo=None) == datetime(2014, 10, 19, 18, 20, 51)
        and gps.captured_local is None
    )
    lacmus = rows["335.jpg"]  # a DJI clock with neither an offset nor GPS time: kept as the camera's clock
    assert lacmus.captured_at is None and lacmus.captured_local == datetime(2019, 2, 27, 14, 49, 5)


def test_a_flight_resumed_with_other_settings_says_it_mixes_them(
    shared_data: Path, detector: Detector, tmp_path: Path
) -> None:
    folder = tmp_path / "card"
    copy_frames(shared_data, folder, deervision(shared_data, 3))
    with open_store(tmp_path / "m.sqlite") as store:
        with contextlib.closing(scan(store, folder, detector, ScanOptions(readers=1))) as steps:
            for step in steps:
                if step.frames_done >= 1:
                    break
        same = list(scan(store, folder, detector, ScanOptions()))[-1]
        assert same.note is None  # carried on as it began
        other = Detector.open(replace(detector.card, name="another model"), device="cpu")
        flight = same.flight_id
        names = {"another model"}
        said = resumed_differently(store, flight, names, None)
        assert said is not None and "scanned with another model " in said and "(now another model)" in said
        dem = shared_data / "geotagged/orthority_p4rtk/dsm.tif"
        terrain = resumed_differently(store, flight, {detector.card.name}, dem)
        assert terrain is not None and f"terrain flat ground (now {dem.resolve()})" in terrain
        assert resumed_differently(store, flight, {detector.card.name}, None) is None
        copy_frames(shared_data, folder, deervision(shared_data, 4)[3:])  # one more photo, another model
        last = list(scan(store, folder, other, ScanOptions()))[-1]
    assert last.note == said
