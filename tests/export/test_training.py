from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from hit_rows import add_detection, add_flight, add_frame, add_hit, add_tile
from pycocotools.coco import COCO
from sqlalchemy import select
from xt2_mission import Mission

from sartriage.errors import ExportError
from sartriage.export.training import TrainingSet, reviewed_tiles, write_training
from sartriage.frames import Window, open_frame
from sartriage.store import open_store, schema


@pytest.fixture(scope="module")
def exported(mission: Mission, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, TrainingSet]:
    folder = tmp_path_factory.mktemp("training")
    with mission.open() as store:
        return folder, write_training(store, folder)


def store_boxes(mission: Mission) -> dict[int, list[tuple[float, float, float, float]]]:
    """Per tile id, its confirmed hits' detection boxes in tile pixels (clipped to it), from the store."""
    h, d, t = schema.hits, schema.detections, schema.tiles
    with mission.open() as store, store.connect() as conn:
        rows = conn.execute(
            select(t.c.id, t.c.x, t.c.y, t.c.w, t.c.h, d.c.x1, d.c.y1, d.c.x2, d.c.y2)
            .select_from(h.join(d, h.c.detection_id == d.c.id).join(t, h.c.tile_id == t.c.id))
            .where(h.c.status == "confirmed")
        ).all()
    out: dict[int, list[tuple[float, float, float, float]]] = {}
    for tile_id, tx, ty, tw, th, x1, y1, x2, y2 in rows:
        box = np.clip([x1 - tx, y1 - ty, x2 - tx, y2 - ty], 0, [tw, th, tw, th])
        out.setdefault(tile_id, []).append(tuple(float(v) for v in box))
    return out


def test_counts_by_label_source(mission: Mission, exported: tuple[Path, TrainingSet]) -> None:
    _, result = exported
    person_tiles = sum(len(v) for k, v in mission.views.items() if k != "P3")  # one tile per detector view
    assert result.positives == person_tiles and result.boxes == person_tiles
    # the rejected false alarm, the two tiles volunteers finished as empty, the decided dispute
    assert result.negatives == 1 + len(mission.reviewed_empty) + 1
    assert result.images == result.positives + result.negatives
    assert (result.needs_boxes, result.model_misses) == (1, 1) and not result.skipped


def test_coco_read_by_pycocotools_matches_the_store(
    mission: Mission, exported: tuple[Path, TrainingSet]
) -> None:
    folder, _ = exported
    coco = COCO(str(folder / "annotations.json"))
    assert [c["name"] for c in coco.loadCats(coco.getCatIds())] == ["person"]
    expected = store_boxes(mission)
    seen = set()
    for image in coco.loadImgs(coco.getImgIds()):
        anns = coco.loadAnns(coco.getAnnIds(imgIds=[image["id"]]))
        boxes = sorted(
            (a["bbox"][0], a["bbox"][1], a["bbox"][0] + a["bbox"][2], a["bbox"][1] + a["bbox"][3])
            for a in anns
        )
        want = sorted(expected.get(image["tile_id"], []))
        assert (image["label"] == "person") == bool(want) == bool(boxes)
        if want:
            np.testing.assert_allclose(boxes, want, atol=0.01)
        seen.add(image["tile_id"])
        pixels = cv2.cvtColor(cv2.imread(str(folder / image["file_name"])), cv2.COLOR_BGR2RGB)
        assert pixels.shape[:2] == (image["height"], image["width"])
        frame_path = next(p for p, fid in _frame_paths(mission).items() if Path(p).name == image["frame"])
        with open_frame(frame_path) as frame:
            original = frame.read(Window(*image["tile"]))
        assert np.abs(pixels.astype(int) - original.astype(int)).mean() < 2.0  # the same pixels, JPEG q95
    assert set(expected) <= seen
    assert mission.escalated in seen and set(mission.reviewed_empty) <= seen


def _frame_paths(mission: Mission) -> dict[str, int]:
    with mission.open() as store, store.connect() as conn:
        return dict(conn.execute(select(schema.frames.c.path, schema.frames.c.id)).all())


def test_yolo_labels_read_back_equal_coco(exported: tuple[Path, TrainingSet]) -> None:
    folder, result = exported
    coco = json.loads((folder / "annotations.json").read_text())
    labels = sorted((folder / "labels").glob("*.txt"))
    images = sorted((folder / "images").glob("*.jpg"))
    assert [p.stem for p in labels] == [p.stem for p in images] and len(labels) == result.images
    by_stem = {Path(i["file_name"]).stem: i for i in coco["images"]}
    for label in labels:
        image = by_stem[label.stem]
        rows = np.loadtxt(label, ndmin=2) if label.read_text().strip() else np.zeros((0, 5))
        w, h = image["width"], image["height"]
        yolo = sorted(((cx - bw / 2) * w, (cy - bh / 2) * h, bw * w, bh * h) for _, cx, cy, bw, bh in rows)
        ours = sorted(tuple(a["bbox"]) for a in coco["annotations"] if a["image_id"] == image["id"])
        assert len(yolo) == len(ours) and set(rows[:, 0].tolist()) <= {0.0}
        if ours:
            np.testing.assert_allclose(yolo, ours, atol=0.02)
    assert "names:\n  0: person" in (folder / "data.yaml").read_text()


def test_missed_person_is_kept_apart_with_who_found_it(
    mission: Mission, exported: tuple[Path, TrainingSet]
) -> None:
    folder, _ = exported
    (pending,) = json.loads((folder / "needs_boxes.json").read_text())["images"]
    assert pending["quality_check"] and pending["model_miss"] and pending["triage_state"] == "cleared"
    assert pending["reviewers"] == ["Ana", "Bo", "Cy"] and pending["answers"] == {"person": 3}
    assert (folder / pending["file_name"]).is_file() and pending["file_name"].startswith("needs_boxes/")
    assert not (folder / "images" / Path(pending["file_name"]).name).exists()


def test_anonymous_export_has_no_names(mission: Mission, tmp_path: Path) -> None:
    with mission.open() as store:
        write_training(store, tmp_path, anonymous=True)
    text = (tmp_path / "annotations.json").read_text() + (tmp_path / "needs_boxes.json").read_text()
    assert "Ana" not in text and '"reviewers"' not in text and '"person": 3' in text


def test_nothing_reviewed_is_a_clear_error(tmp_path: Path) -> None:
    with (
        open_store(tmp_path / "empty.sqlite") as store,
        pytest.raises(ExportError, match="no reviewed tiles"),
    ):
        write_training(store, tmp_path / "out")


def test_a_person_in_the_overlap_of_two_tiles_is_boxed_in_both(tmp_path: Path) -> None:
    """Tiles overlap: a person confirmed through one tile is in its neighbour's picture too, and must be
    boxed there as well; left unboxed, the neighbour would teach a detector that a person is background,
    even when the hit on the neighbour itself was a rejected false alarm."""
    with open_store(tmp_path / "m.sqlite") as store, store.begin() as conn:
        frame = add_frame(conn, add_flight(conn, store), "/card/DJI_0001.JPG", width=640, height=512)
        left, right = add_tile(conn, frame, 0, 0, 384, 512), add_tile(conn, frame, 256, 0, 384, 512)
        person = add_detection(conn, frame, left, (300, 200, 320, 240), 0.8)  # in both tiles, left's hit
        add_hit(conn, left, x=310, y=220, confidence=0.8, status="confirmed", detection_id=person)
        rock = add_detection(conn, frame, right, (500, 400, 520, 420), 0.4)
        add_hit(conn, right, x=510, y=410, confidence=0.4, status="rejected", detection_id=rock)
    with open_store(tmp_path / "m.sqlite") as store:
        tiles = {t.tile_id: t for t in reviewed_tiles(store)}
    assert tiles[left].label == tiles[right].label == "person"
    assert tiles[left].boxes == ((300.0, 200.0, 320.0, 240.0),)
    assert tiles[right].boxes == ((44.0, 200.0, 64.0, 240.0),)  # the same person, in the right tile's pixels
