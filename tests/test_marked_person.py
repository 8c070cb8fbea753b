"""A person the detector and the volunteers missed, marked by the coordinator on a real frame: a confirmed
hit placed on the ground like any other, exported to ground teams, and kept as training data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import gpxpy
import pytest
import shapely
from scan_support import copy_frames, make_card

from sartriage import hits
from sartriage.cli import main
from sartriage.detect import Detector
from sartriage.errors import ReviewError
from sartriage.export.training import reviewed_tiles
from sartriage.scan import ScanOptions, scan
from sartriage.store import Store, open_store, schema

LACMUS = "geotagged/lacmus_ladd_335/335.jpg"
BOX = (1500.0, 1400.0, 1530.0, 1450.0)


@pytest.fixture(scope="module")
def mission(shared_data: Path, shared_models: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("marked")
    copy_frames(shared_data, root / "flight", [LACMUS])
    detector = Detector.open(make_card(shared_models, root), device="cpu")
    with open_store(root / "m.sqlite") as store:
        list(scan(store, root / "flight", detector, ScanOptions()))  # type: ignore[arg-type]
    return root / "m.sqlite"


@pytest.fixture
def store(mission: Path, tmp_path: Path) -> Iterator[Store]:
    copy = tmp_path / "m.sqlite"
    copy.write_bytes(mission.read_bytes())
    with open_store(copy, create=False) as store:
        yield store


def test_a_marked_person_is_a_confirmed_hit_on_the_ground(store: Store, tmp_path: Path) -> None:
    frame = hits.frame_named(store, "335.jpg")
    hit = hits.mark_person(store, frame, BOX, "seen by the coordinator beside the path")
    assert (hit.source, hit.status, hit.confidence) == ("coordinator", "confirmed", 1.0)
    assert (hit.x, hit.y) == (1515.0, 1425.0) and hit.box == BOX
    with store.connect() as conn:
        footprint = conn.execute(schema.frames.select().where(schema.frames.c.id == frame)).one().footprint
    assert hit.lon is not None and hit.lat is not None and hit.error_radius_m is not None
    assert shapely.Polygon(footprint).contains(shapely.Point(hit.lon, hit.lat))
    assert "seen by the coordinator beside the path" in hit.note
    assert hits.get_hit(store, hit.id) == hit
    # ground teams get it in the default (confirmed) GPX, and it is training data with its box
    out = tmp_path / "team.gpx"
    assert main(["export", "--db", store.location, "--format", "gpx", "--out", str(out)]) == 0
    waypoints = gpxpy.parse(out.read_text()).waypoints
    assert any(abs(w.latitude - hit.lat) < 1e-6 and abs(w.longitude - hit.lon) < 1e-6 for w in waypoints)
    [tile] = [t for t in reviewed_tiles(store) if t.tile_id == hit.tile_id]
    assert tile.label == "person" and hit.id in tile.box_hits


def test_every_person_of_a_group_is_marked_and_one_person_only_once(store: Store) -> None:
    """A family of four stands within one tile: the coordinator marks each of them; marking the same
    person a second time is refused with the hit that already holds them."""
    frame = hits.frame_named(store, "335.jpg")
    group = [(1500.0 + 40 * i, 1400.0, 1530.0 + 40 * i, 1450.0) for i in range(4)]
    marked = [hits.mark_person(store, frame, box) for box in group]
    assert len({m.id for m in marked}) == 4 and len({m.tile_id for m in marked}) < 4  # they share tiles
    assert all(m.status == "confirmed" and m.box == box for m, box in zip(marked, group, strict=True))
    with pytest.raises(ReviewError, match=rf"already marked at \(1515, 1425\) \(hit {marked[0].id}\)"):
        hits.mark_person(store, frame, (1505.0, 1405.0, 1525.0, 1445.0))
    [tile] = [t for t in reviewed_tiles(store) if t.tile_id == marked[0].tile_id]
    assert {m.id for m in marked if m.tile_id == tile.tile_id} <= set(tile.box_hits)  # each a training box


def test_bad_marks_are_refused(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    frame = hits.frame_named(store, "335.jpg")
    with pytest.raises(ReviewError, match="outside the frame"):
        hits.mark_person(store, frame, (5000, 10, 5010, 20))
    with pytest.raises(ReviewError, match=r"no frame 'DJI_9999\.JPG'"):
        hits.frame_named(store, "DJI_9999.JPG")
    with pytest.raises(SystemExit):
        main(["hits", "mark", "335.jpg", "1500,1400,1530", "--db", store.location])
    assert "is not X1,Y1,X2,Y2 in frame pixels" in capsys.readouterr().err


def test_the_command_line_marks_a_person(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["hits", "mark", "335.jpg", "1500,1400,1530,1450", "--note", "red jacket", "--db", store.location]
    assert main(args) == 0
    line = capsys.readouterr().out
    assert "confirmed" in line and "335.jpg" in line
