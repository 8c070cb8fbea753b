from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from xt2_mission import Mission, build_mission

from sartriage.cli import main


@pytest.fixture(scope="module")
def mission(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Mission:
    frames = sorted((shared_data / "geotagged" / "deervision_dji_xt2").glob("DJI_*_R.JPG"))
    return build_mission(frames, tmp_path_factory.mktemp("cli") / "mission.sqlite")


@pytest.mark.parametrize(
    ("fmt", "name", "expected"),
    [
        ("gpx", "hits.gpx", "3 waypoints"),
        ("kmz", "hits.kmz", "3 placemarks"),
        ("kml", "hits", "3 placemarks"),  # the suffix is added
        ("hits-geojson", "hits.geojson", "3 hits"),
        ("hits-csv", "hits.csv", "3 hits"),
        ("cards", "cards.pdf", "3 hit cards"),
        ("report", "report.pdf", "coverage map and summary in report.pdf and report.png (300 dpi)"),
    ],
)
def test_each_hit_format_writes_its_file(
    mission: Mission, tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str, name: str, expected: str
) -> None:
    out = tmp_path / name
    assert main(["export", "--db", str(mission.path), "--format", fmt, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"{fmt}: {expected} written to" in printed
    written = Path(printed.rsplit(" written to ", 1)[1].strip())
    assert written.is_file() and written.stat().st_size > 0


@pytest.mark.parametrize(
    ("fmt", "out", "written"),
    [
        ("gpx", "folder", ["folder/hits.gpx"]),  # an existing folder: the file goes inside it
        ("report", "folder", ["folder/report.pdf", "folder/report.png"]),
        ("report", "map.png", ["map.pdf", "map.png"]),  # either ending names the pair
        ("gpx", "for-team-2.txt", ["for-team-2.txt"]),  # a path with an ending is honoured as given
    ],
)
def test_the_output_path_is_honoured(
    mission: Mission,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    fmt: str,
    out: str,
    written: list[str],
) -> None:
    (tmp_path / "folder").mkdir()
    assert main(["export", "--db", str(mission.path), "--format", fmt, "--out", str(tmp_path / out)]) == 0
    made = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert made == sorted(written)


def test_coverage_layers_and_report_summary(
    mission: Mission, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "layers"
    assert main(["export", "--db", str(mission.path), "--format", "coverage", "--out", str(out)]) == 0
    assert "123 features" in capsys.readouterr().out  # 24 frames, 96 tiles, 3 hits
    assert len(list(out.glob("*.geojson"))) == 5
    assert (
        main(["export", "--db", str(mission.path), "--format", "report", "--out", str(tmp_path / "r")]) == 0
    )
    printed = capsys.readouterr().out
    assert "Area covered: 0.050 km²" in printed
    assert "Tiles volunteers answered: 1 (3 answers from 3 volunteers)" in printed
    assert (tmp_path / "r.pdf").is_file() and (tmp_path / "r.png").is_file()


def test_training_export(mission: Mission, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "training"
    argv = ["export", "--db", str(mission.path), "--format", "training", "--out", str(out), "--anonymous"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert (
        "training: 12 tiles (8 with people, 8 boxes; 4 empty) as COCO and YOLO, 1 person tiles needing"
        in printed
    )
    assert "Ana" not in (out / "needs_boxes.json").read_text()


def test_filters_grouping_and_anonymity_reach_the_file(mission: Mission, tmp_path: Path) -> None:
    out = tmp_path / "all.csv"
    argv = ["export", "--db", str(mission.path), "--format", "hits-csv", "--out", str(out)]
    assert main([*argv, "--all-views", "--status", "confirmed", "--status", "rejected"]) == 0
    with out.open(encoding="utf-8-sig") as stream:
        rows = list(csv.DictReader(stream))
    assert len(rows) == sum(len(v) for v in mission.views.values()) + 1
    assert main([*argv, "--source", "volunteers", "--anonymous"]) == 0
    with out.open(encoding="utf-8-sig") as stream:
        (row,) = list(csv.DictReader(stream))
    assert row["volunteers"] == "3" and row["volunteer_names"] == ""
    assert main([*argv, "--min-score", "0.95"]) == 0
    with out.open(encoding="utf-8-sig") as stream:
        assert list(csv.DictReader(stream)) == []
    geo = tmp_path / "late.geojson"
    late = ["export", "--db", str(mission.path), "--format", "hits-geojson", "--out", str(geo)]
    assert main([*late, "--since", "2020-02-16T16:47:00"]) == 0
    times = [f["properties"]["time"] for f in json.loads(geo.read_text())["features"]]
    assert times and all(t >= "2020-02-16T16:47:00" for t in times)


def test_file_formats_need_out(mission: Mission, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--db", str(mission.path), "--format", "gpx"]) == 1
    assert "give --out" in capsys.readouterr().err


def test_a_camera_clock_of_unknown_time_zone_is_never_called_utc(
    mission: Mission, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The XT2 photos hold their camera's local clock and neither an offset nor GPS time."""
    import gpxpy

    argv = ["export", "--db", str(mission.path), "--out"]
    assert main([*argv, str(tmp_path / "h.gpx"), "--format", "gpx"]) == 0
    with (tmp_path / "h.gpx").open() as stream:
        waypoints = gpxpy.parse(stream).waypoints
    assert waypoints and all(w.time is None for w in waypoints)  # GPX times are UTC: none beats a wrong one
    assert all("camera clock (time zone unknown)" in w.description for w in waypoints)
    assert main([*argv, str(tmp_path / "h.geojson"), "--format", "hits-geojson"]) == 0
    props = [f["properties"] for f in json.loads((tmp_path / "h.geojson").read_text())["features"]]
    assert all(p["time_zone_known"] is False and p["time"].startswith("2020-02-16T") for p in props)
    assert all("+" not in p["time"] and not p["time"].endswith("Z") for p in props)  # no offset: local time
    capsys.readouterr()
    assert main(["hits", "list", "--db", str(mission.path)]) == 0
    rows = capsys.readouterr().out.splitlines()[1:]
    assert rows and all(" local " in row and " UTC " not in row for row in rows)
