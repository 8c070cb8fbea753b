"""Where the volunteers' candidates land: on the tile's best detection, else the tile centre on the ground."""

from __future__ import annotations

from pathlib import Path

import pytest
from review_fixtures import LACMUS, add_flight, add_frame, add_tiles, make_queue
from sqlalchemy import insert, select

from sartriage.store import Store, schema


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
