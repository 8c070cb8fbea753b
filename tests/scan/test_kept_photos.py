"""With the photo folder gone (the card back in the drone), the pixels volunteers, hit cards and training
data need still come from the copies the scan kept beside the store."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from scan_support import copy_frames, heridal
from sqlalchemy import select

from sartriage import hits
from sartriage.detect import Detector
from sartriage.errors import StoreError
from sartriage.export.images import hit_images
from sartriage.export.training import write_training
from sartriage.review.tiles import TileImages
from sartriage.scan import ScanOptions, scan
from sartriage.store import open_store, schema
from sartriage.store.photos import kept_folder, kept_line

LACMUS = "geotagged/lacmus_ladd_335/335.jpg"  # a real search photo beside six HERIDAL crops of people


def test_tiles_cards_and_training_tiles_come_from_the_kept_copies_once_the_card_is_gone(
    shared_data: Path, tmp_path: Path, detector: Detector
) -> None:
    card = tmp_path / "card"
    copy_frames(shared_data, card, [LACMUS, *heridal(shared_data, 6)])
    with open_store(tmp_path / "mission.sqlite") as store:
        list(scan(store, card, detector, ScanOptions()))
        with store.connect() as conn:
            frames = conn.execute(select(schema.frames.c.id, schema.frames.c.content_hash)).all()
            sent = conn.execute(
                select(schema.tiles.c.frame_id, schema.tiles.c.id).where(schema.tiles.c.state != "cleared")
            ).all()
        folder = kept_folder(store)
        assert folder == tmp_path / "mission.sqlite.photos"
        needed = {frame_id for frame_id, _ in sent}
        kept = {p.stem for p in folder.iterdir()}
        # a copy for each frame with a tile for volunteers or the coordinator (none for frames all cleared)
        assert kept == {h for i, h in frames if i in needed} and kept

    with open_store(tmp_path / "mission.sqlite", read_only=True) as reading:  # as `status` opens it
        said = kept_line(reading, len(frames))
    assert said is not None and said.startswith(f"photos kept for review: {len(kept)} in {folder}/ ")
    with open_store(tmp_path / "mission.sqlite") as store:
        shutil.rmtree(card)  # the card goes back into the drone
        review_tile = sent[0][1]
        picture = cv2.imdecode(np.frombuffer(TileImages(store).tile(review_tile), np.uint8), cv2.IMREAD_COLOR)
        assert picture is not None and picture.size > 0
        found = hits.list_hits(store)
        assert found, "the scan flags people in these frames"
        person = found[0]
        assert person.photo.parent == folder and not Path(person.frame_path).exists()
        assert hit_images(person).tile.size > 0  # the hit card's pictures
        hits.confirm(store, person.id)
        done = write_training(store, tmp_path / "training")
        assert done.images >= 1 and not done.skipped


def test_a_postgresql_mission_keeps_its_copies_where_the_scan_was_told(
    shared_data: Path, tmp_path: Path, detector: Detector, pg_url: str
) -> None:
    card = tmp_path / "card"
    copy_frames(shared_data, card, [LACMUS])
    with open_store(pg_url) as store:
        assert kept_folder(store) is None  # no folder beside a database server
        list(scan(store, card, detector, ScanOptions(keep_photos=tmp_path / "share" / "photos")))
    shutil.rmtree(card)
    with open_store(pg_url) as store:  # another process of the mission: the folder comes from the store
        folder = kept_folder(store)
        assert folder == (tmp_path / "share" / "photos").resolve()
        assert [p.suffix for p in folder.iterdir()] == [".jpg"]
        with store.connect() as conn:
            review_tile = conn.execute(
                select(schema.tiles.c.id).where(schema.tiles.c.state != "cleared").limit(1)
            ).scalar_one()
        picture = cv2.imdecode(np.frombuffer(TileImages(store).tile(review_tile), np.uint8), cv2.IMREAD_COLOR)
        assert picture is not None and picture.size > 0


def test_a_folder_that_cannot_hold_the_copies_is_one_clear_line(tmp_path: Path, detector: Detector) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    (tmp_path / "card").mkdir()
    with open_store(tmp_path / "m.sqlite") as store, pytest.raises(StoreError) as refused:
        scan(store, tmp_path / "card", detector, ScanOptions(keep_photos=blocked / "photos"))
    assert str(refused.value).startswith(f"{blocked / 'photos'}: photos cannot be kept there")
    assert "give a folder you can write to" in str(refused.value)
