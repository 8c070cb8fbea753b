from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from hit_rows import add_detection, add_flight, add_frame, add_tile
from sqlalchemy import update

from sartriage.cli import main
from sartriage.store import open_store, schema


@pytest.fixture
def db(store_target: str) -> str:
    with open_store(store_target) as store, store.begin() as conn:
        north = add_flight(conn, store, "north", folder="/card/north")
        frame = add_frame(conn, north, "/card/north/DCIM/100MEDIA/DJI_0001.JPG")
        tile = add_tile(conn, frame, 0, 0, state="flagged")
        add_detection(
            conn, frame, tile, (10.0, 20.0, 30.5, 80.25), 0.91, lon=10.5, lat=47.25, error_radius_m=12.0
        )
        add_detection(conn, frame, tile, (100.0, 120.0, 110.0, 150.0), 0.12)  # not georeferenced
        kite = add_detection(conn, frame, tile, (200.0, 20.0, 260.0, 40.0), 0.44, lon=10.6, lat=47.3)
        conn.execute(
            update(schema.detections).where(schema.detections.c.id == kite).values(class_id=33, clue=True)
        )
        south = add_flight(conn, store, "south", folder="/card/south")
        other = add_frame(conn, south, "/card/south/IMG_9.jpg")
        add_detection(
            conn, other, add_tile(conn, other, 0, 0, state="review"), (1, 2, 3, 4), 0.4, lon=-3.0, lat=55.0
        )
    return store_target


def exported(db: str, capsys: pytest.CaptureFixture[str], fmt: str, *args: str) -> str:
    assert main(["export", "--db", db, "--format", fmt, *args]) == 0
    return capsys.readouterr().out


def test_coco_results_are_person_boxes_in_frame_pixels(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    results = json.loads(exported(db, capsys, "coco-results"))
    assert [(r["file_name"], r["bbox"], r["score"], r["category_id"]) for r in results] == [
        ("DCIM/100MEDIA/DJI_0001.JPG", [10.0, 20.0, 20.5, 60.25], 0.91, 1),
        ("DCIM/100MEDIA/DJI_0001.JPG", [100.0, 120.0, 10.0, 30.0], 0.12, 1),
        ("IMG_9.jpg", [1.0, 2.0, 2.0, 2.0], 0.4, 1),
    ]
    assert results[0]["image_id"] == results[1]["image_id"] != results[2]["image_id"]


@pytest.mark.parametrize(
    ("args", "files"),
    [
        (["--min-score", "0.3"], ["DCIM/100MEDIA/DJI_0001.JPG", "IMG_9.jpg"]),
        (["--flight", "south"], ["IMG_9.jpg"]),
        (["--flight", "north", "--min-score", "0.5"], ["DCIM/100MEDIA/DJI_0001.JPG"]),
        (["--min-score", "0.95"], []),
    ],
)
def test_filters(db: str, capsys: pytest.CaptureFixture[str], args: list[str], files: list[str]) -> None:
    assert [r["file_name"] for r in json.loads(exported(db, capsys, "coco-results", *args))] == files


def test_geojson_points_are_lon_lat_and_leave_out_what_has_no_ground_position(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", "--db", db, "--format", "geojson"]) == 0
    captured = capsys.readouterr()
    collection = json.loads(captured.out)
    assert collection["type"] == "FeatureCollection"
    points = [
        (f["geometry"]["coordinates"], f["properties"]["frame"], f["properties"]["kind"])
        for f in collection["features"]
    ]
    assert points == [
        ([10.5, 47.25], "DCIM/100MEDIA/DJI_0001.JPG", "person"),
        ([10.6, 47.3], "DCIM/100MEDIA/DJI_0001.JPG", "clue"),
        ([-3.0, 55.0], "IMG_9.jpg", "person"),
    ]
    first = collection["features"][0]["properties"]
    assert (first["score"], first["error_radius_m"], first["tile_state"], first["flight"]) == (
        0.91,
        12.0,
        "flagged",
        "north",
    )
    assert "1 without a ground position left out" in captured.err


def test_csv_has_every_detection_with_ground_positions_where_known(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = list(csv.DictReader(io.StringIO(exported(db, capsys, "csv"))))
    assert [(r["frame"], r["kind"], r["score"], r["lon"], r["lat"], r["error_radius_m"]) for r in rows] == [
        ("DCIM/100MEDIA/DJI_0001.JPG", "person", "0.91000", "10.50000000", "47.25000000", "12.00"),
        ("DCIM/100MEDIA/DJI_0001.JPG", "clue", "0.44000", "10.60000000", "47.30000000", ""),
        ("DCIM/100MEDIA/DJI_0001.JPG", "person", "0.12000", "", "", ""),
        ("IMG_9.jpg", "person", "0.40000", "-3.00000000", "55.00000000", ""),
    ]
    assert rows[1]["class_id"] == "33"
    assert rows[0]["x2"] == "30.50" and rows[0]["tile_state"] == "flagged"


def test_out_writes_the_whole_file_and_nothing_else(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "results" / "detections.json"
    assert main(["export", "--db", db, "--format", "coco-results", "--out", str(out)]) == 0
    assert "coco-results: 3 person detections written to" in capsys.readouterr().out
    assert len(json.loads(out.read_text())) == 3
    assert [p.name for p in out.parent.iterdir()] == ["detections.json"]


def test_out_naming_a_folder_is_one_clear_line(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", "--db", db, "--format", "csv", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "is a folder" in err and "Traceback" not in err
