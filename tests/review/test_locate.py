"""Where the volunteers' candidates land: on the tile's best detection, else the tile centre on the ground."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from review_fixtures import LACMUS, add_flight, add_frame, add_tiles, make_queue
from scan_support import copy_frames, deervision, make_card
from sqlalchemy import insert, select

from sartriage.detect import Detector
from sartriage.errors import SartriageWarning
from sartriage.export.coverage import load_coverage
from sartriage.frames import open_frame
from sartriage.hits import mark_person
from sartriage.scan import ScanOptions, scan
from sartriage.store import Store, open_store, schema


def add_detection(
    store: Store, frame: int, tile: int, box: tuple[float, float, float, float], score: float
) -> int:
    with store.begin() as conn:
        return int(
            conn.execute(
                insert(schema.detections).values(
                    frame_id=frame, tile_id=tile, x1=box[0], y1=box[1], x2=box[2], y2=box[3], score=score,
                    class_id=0, model="test", lon=37.5, lat=55.9, error_radius_m=7.0,
                )
            ).inserted_primary_key[0]
        )  # fmt: skip


def agree_on_person(store: Store, n_volunteers: int = 2) -> None:
    queue = make_queue(store, prior_accuracy=0.95, overlap=2)
    for i in range(n_volunteers):
        v = queue.invite(f"v{i}")[0].id
        while (lease := queue.next_lease(v)) is not None:
            queue.answer(v, lease.public_id, "person")
    queue.locate_hits()


def volunteer_hits(store: Store) -> list:
    with store.connect() as conn:
        return conn.execute(select(schema.hits).where(schema.hits.c.source == "volunteers")).all()


def test_a_candidate_sits_on_the_tiles_best_detection(sqlite_store: Store, shared_data: Path) -> None:
    frame = add_frame(
        sqlite_store, add_flight(sqlite_store, "f"), shared_data / LACMUS, width=4000, height=3000
    )
    (tile,) = add_tiles(sqlite_store, frame, [(1450, 1340, 640, 640)], [0.4])
    add_detection(sqlite_store, frame, tile, (1760, 1620, 1790, 1660), 0.2)
    best = add_detection(sqlite_store, frame, tile, (1640, 1600, 1660, 1650), 0.35)
    add_detection(sqlite_store, frame, tile, (100, 100, 120, 130), 0.9)  # elsewhere in the frame
    agree_on_person(sqlite_store)
    (hit,) = volunteer_hits(sqlite_store)
    assert (hit.detection_id, hit.x, hit.y, hit.status) == (best, 1650.0, 1625.0, "candidate")
    assert (hit.lon, hit.lat, hit.error_radius_m) == (37.5, 55.9, 7.0)


def test_a_candidate_without_detection_is_placed_on_the_ground_from_its_frame(
    sqlite_store: Store, shared_data: Path
) -> None:
    frame = add_frame(
        sqlite_store, add_flight(sqlite_store, "f"), shared_data / LACMUS, width=4000, height=3000
    )
    add_tiles(sqlite_store, frame, [(1455, 1320, 640, 640)], [0.1], state="cleared", quality_check=True)
    agree_on_person(sqlite_store)
    (hit,) = volunteer_hits(sqlite_store)
    assert (hit.x, hit.y, hit.detection_id) == (1775.0, 1640.0, None)
    # the Liza Alert photo was taken near 37.684 E, 55.974 N, 47 m up: a tile centre lands within metres
    assert hit.lon == pytest.approx(37.6843, abs=0.001) and hit.lat == pytest.approx(55.9736, abs=0.001)
    assert 0 < hit.error_radius_m < 50


def test_a_frame_without_position_leaves_the_candidate_unplaced(
    sqlite_store: Store, heridal_image: Path
) -> None:
    frame = add_frame(sqlite_store, add_flight(sqlite_store, "f"), heridal_image, width=340, height=340)
    add_tiles(sqlite_store, frame, [(0, 0, 170, 170)], [0.4])
    agree_on_person(sqlite_store)
    (hit,) = volunteer_hits(sqlite_store)
    assert hit.lon is None and hit.lat is None


def test_positions_are_placed_with_the_photo_folder_gone(
    tmp_path: Path, shared_data: Path, shared_models: Path
) -> None:
    """The SD card goes back into the drone after the scan: volunteers' candidates, the coordinator's
    marks and the coverage tiles are still placed, where the photos themselves would place them."""
    card = tmp_path / "flight"
    copy_frames(shared_data, card, deervision(shared_data, 3))
    h, t, f = schema.hits, schema.tiles, schema.frames
    without_detection = (h.c.source == "volunteers") & h.c.detection_id.is_(None)
    with open_store(tmp_path / "mission.sqlite") as store:
        detector = Detector.open(make_card(shared_models, tmp_path), device="cpu")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SartriageWarning)
            for _ in scan(store, card, detector, ScanOptions(quality_share=1.0)):
                pass
        card.rename(tmp_path / "back in the drone")
        agree_on_person(store)
        with store.connect() as conn:
            frame_id = conn.execute(select(f.c.id).order_by(f.c.id)).scalars().first()
        mark_person(store, frame_id, (300, 200, 320, 240))
        coverage = load_coverage(store)
        with store.connect() as conn:
            tiles = conn.execute(select(t.c.id)).scalars().all()
            placed = conn.execute(
                select(h.c.source, h.c.x, h.c.y, h.c.lon, h.c.lat, h.c.error_radius_m, f.c.path)
                .join(t, t.c.id == h.c.tile_id)
                .join(f, f.c.id == t.c.frame_id)
                .where((h.c.source == "coordinator") | without_detection)
            ).all()  # fmt: skip

    assert coverage.notes == () and sorted(tile.tile_id for tile in coverage.tiles) == sorted(tiles)
    assert {row.source for row in placed} == {"volunteers", "coordinator"}
    (tmp_path / "back in the drone").rename(card)
    for row in placed:
        with warnings.catch_warnings(), open_frame(row.path) as frame:
            warnings.simplefilter("ignore", SartriageWarning)
            lon, lat, radius = (float(v[0]) for v in frame.georef.pixel_to_ground([row.x], [row.y]))
        assert (row.lon, row.lat) == (pytest.approx(lon, abs=1e-9), pytest.approx(lat, abs=1e-9))
        assert row.error_radius_m == pytest.approx(radius)
