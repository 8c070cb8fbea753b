from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import shapely
from pyogrio import list_layers
from pyogrio.raw import read as read_ogr
from scan_support import copy_frames, make_card
from xt2_mission import Mission, build_mission

from sartriage.detect import Detector
from sartriage.export.coverage import CLASSES, load_coverage, tile_class, write_layers
from sartriage.export.records import load_records
from sartriage.scan import ScanOptions, scan
from sartriage.store import open_store


@pytest.mark.parametrize(
    ("state", "quality_check", "expected"),
    [
        ("cleared", False, "cleared"),
        ("cleared", True, "reviewed"),
        ("review", False, "reviewed"),
        ("flagged", False, "flagged"),
        ("flagged", True, "flagged"),
    ],
)
def test_tile_classes(state: str, quality_check: bool, expected: str) -> None:
    assert tile_class(state, quality_check) == expected


def test_tiles_cover_exactly_their_frames(mission: Mission) -> None:
    with mission.open() as store:
        coverage = load_coverage(store, load_records(store))
    assert len(coverage.frames) == 24 and len(coverage.tiles) == 96 and not coverage.notes
    # 2x2 tiles of every frame, placed by the camera model, cover the stored footprints exactly
    assert coverage.area_m2() == pytest.approx(coverage.frames_area_m2(), rel=1e-4)
    footprints = {f.name: f.footprint for f in coverage.frames}
    for tile in coverage.tiles:
        assert footprints[tile.frame_name].buffer(1e-7).contains(tile.outline)
        assert tile.state == mission.tiles[tile.tile_id]
    # every confirmed person lies in a tile that was flagged or reviewed
    for record in coverage.hits:
        point = shapely.Point(record.lon, record.lat)
        assert any(t.outline.contains(point) and t.cls != "cleared" for t in coverage.tiles), record.name


def test_geojson_layers_read_back_by_gdal(mission: Mission, tmp_path: Path) -> None:
    with mission.open() as store:
        coverage = load_coverage(store, load_records(store))
    write_layers(coverage, tmp_path / "coverage")
    files = sorted(p.name for p in (tmp_path / "coverage").iterdir())
    assert files == sorted([*(f"tiles-{c}.geojson" for c in CLASSES), "frames.geojson", "hits.geojson"])
    for cls in CLASSES:
        path = tmp_path / "coverage" / f"tiles-{cls}.geojson"
        assert list_layers(path)[0][0] == f"tiles-{cls}"
        meta, fids, geometry, _ = read_ogr(path, return_fids=True)
        assert meta["crs"] == "EPSG:4326"
        ours = {t.tile_id: t.outline for t in coverage.tiles if t.cls == cls}
        assert sorted(fids.tolist()) == sorted(ours)
        for fid, wkb in zip(fids, geometry, strict=True):
            back = shapely.from_wkb(wkb)
            assert back.exterior.is_ccw
            assert back.hausdorff_distance(ours[int(fid)]) < 1e-7  # the same outline to 1 cm
    _, _, frames, _ = read_ogr(tmp_path / "coverage" / "frames.geojson")
    assert len(frames) == 24


def test_a_frame_that_moved_keeps_its_footprint_and_says_why(xt2_frames: list[Path], tmp_path: Path) -> None:
    copies = tmp_path / "card"
    copies.mkdir()
    for path in xt2_frames:
        shutil.copy(path, copies / path.name)
    moved = build_mission(sorted(copies.iterdir()), tmp_path / "m.sqlite")
    (copies / "DJI_0004_R.JPG").unlink()
    with moved.open() as store:
        coverage = load_coverage(store)
    assert len(coverage.frames) == 24 and len(coverage.tiles) == 92
    assert all(f.footprint is not None for f in coverage.frames)
    assert len(coverage.notes) == 1 and coverage.notes[0].startswith("DJI_0004_R.JPG: tiles not placed (")


def test_every_polygon_written_is_valid_and_gps_only_frames_are_left_out_with_a_reason(
    shared_data: Path, shared_models: Path, tmp_path: Path
) -> None:
    """odm_seneca's fixed-wing photos have a GPS position and no attitude: every pixel is at the fix."""
    folder = tmp_path / "flight"
    seneca = ["geotagged/odm_seneca/IMG_0446.jpg", "geotagged/odm_seneca/IMG_0447.jpg"]
    copy_frames(shared_data, folder, [*seneca, "geotagged/deervision_dji_xt2/DJI_0004_R.JPG"])
    detector = Detector.open(make_card(shared_models, tmp_path), device="cpu")
    with open_store(tmp_path / "m.sqlite") as store:
        list(scan(store, folder, detector, ScanOptions()))  # type: ignore[arg-type]
        coverage = load_coverage(store)
    write_layers(coverage, tmp_path / "coverage")
    written = 0
    for layer in (tmp_path / "coverage").glob("*.geojson"):
        for feature in json.loads(layer.read_text())["features"]:
            polygon = shapely.geometry.shape(feature["geometry"])
            assert polygon.is_valid and polygon.area > 0, (layer.name, feature["properties"])
            written += 1
    placed = {f.name for f in coverage.frames if f.footprint is not None} | {
        t.frame_name for t in coverage.tiles
    }
    assert placed == {"DJI_0004_R.JPG"} and written > 1
    for name in ("IMG_0446.jpg", "IMG_0447.jpg"):
        assert any(
            note.startswith(f"{name}: tiles not placed (only a GPS position") for note in coverage.notes
        )
