"""Honeypot packs: known tiles exported from one mission and served as honeypots in the next."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest
from review_fixtures import confirm, grid_mission, make_queue
from sqlalchemy import select

from sartriage.errors import ReviewError
from sartriage.review.pack import export_pack, import_pack
from sartriage.review.tiles import TileImages
from sartriage.store import Store, open_store, schema


@pytest.fixture
def pack(tmp_path: Path, heridal_image: Path) -> Path:
    with open_store(tmp_path / "earlier.sqlite") as store:
        mission = grid_mission(store, heridal_image, 1)
        confirm(store, mission.tile_ids[0], "confirmed")
        confirm(store, mission.tile_ids[1], "rejected")
        make_queue(store).sync()
        report = export_pack(store, tmp_path / "known.zip")
    assert (report.items, report.skipped) == (2, 0)
    return report.path


def honeypots(store: Store) -> list:
    with store.connect() as conn:
        return conn.execute(select(schema.honeypots).order_by(schema.honeypots.c.id)).all()


def test_a_pack_carries_pictures_and_truths_but_no_paths(pack: Path, heridal_image: Path) -> None:
    with zipfile.ZipFile(pack) as z:
        manifest = json.loads(z.read("manifest.json"))
        names = z.namelist()
        everything = b"".join(z.read(n) for n in names)
    assert sorted(i["truth"] for i in manifest["items"]) == ["no_person", "person"]
    assert len(names) == 5  # manifest + tile and context per item
    assert heridal_image.name.encode() not in everything and b"Exif" not in everything


def test_imported_pack_items_are_served_as_honeypots(pack: Path, tmp_path: Path, heridal_image: Path) -> None:
    with open_store(tmp_path / "next.sqlite") as store:
        grid_mission(store, heridal_image, 1)
        assert import_pack(store, pack).items == 2
        assert import_pack(store, pack).items == 0  # the same pack twice adds nothing
        rows = honeypots(store)
        assert [(r.source, r.tile_id is None) for r in rows] == [("pack", True), ("pack", True)]
        queue = make_queue(store, honeypot_rate=1.0)
        v = queue.invite("v")[0].id
        lease = queue.next_lease(v)
        assert lease.kind == "honeypot" and lease.honeypot_id in {r.id for r in rows}
        picture = TileImages(store).honeypot(lease.honeypot_id)
        assert cv2.imdecode(np.frombuffer(picture, np.uint8), cv2.IMREAD_COLOR).shape == (170, 170, 3)


def test_a_damaged_item_is_skipped_and_the_rest_imported(pack: Path, tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.zip"
    with zipfile.ZipFile(pack) as src, zipfile.ZipFile(damaged, "w") as dst:
        manifest = json.loads(src.read("manifest.json"))
        first = manifest["items"][0]["id"]
        for name in src.namelist():
            data = src.read(name)
            dst.writestr(name, b"not a jpeg" if name == f"items/{first}.jpg" else data)
    with open_store(tmp_path / "next.sqlite") as store:
        report = import_pack(store, damaged)
        assert (report.items, report.skipped) == (1, 1)
        assert "damaged.zip item 1" in report.problems[0]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "not a honeypot pack"),
        ({"other.txt": b"x"}, "no manifest.json"),
        ({"manifest.json": b"{"}, "not valid JSON"),
        ({"manifest.json": b'{"format": "x"}'}, "not a sartriage honeypot pack"),
        ({"manifest.json": b'{"format": "sartriage-honeypots", "version": 9}'}, "version 9"),
    ],
)
def test_what_is_not_a_pack_is_refused_with_its_name(
    tmp_path: Path, content: dict | None, message: str
) -> None:
    path = tmp_path / "bad.zip"
    if content is None:
        path.write_bytes(b"plain text")
    else:
        with zipfile.ZipFile(path, "w") as z:
            for name, data in content.items():
                z.writestr(name, data)
    with open_store(tmp_path / "m.sqlite") as store, pytest.raises(ReviewError, match=message) as caught:
        import_pack(store, path)
    assert "bad.zip" in str(caught.value)


def test_exporting_without_known_tiles_says_what_to_do(tmp_path: Path) -> None:
    with open_store(tmp_path / "m.sqlite") as store, pytest.raises(ReviewError, match="confirm hits"):
        export_pack(store, tmp_path / "p.zip")
