"""A big raster (an orthomosaic) scanned in parts: an interruption loses at most the chunk in flight."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import rasterio
from affine import Affine
from scan_support import snapshot
from sqlalchemy import select

from sartriage.detect import Detector, Tile
from sartriage.detect.detections import Detections
from sartriage.scan import ScanOptions, claims, pipeline, scan
from sartriage.scan.claims import NewFrame
from sartriage.scan.parts import load_part, plan_key, save_part, stored_parts
from sartriage.scan.pipeline import SCANNING
from sartriage.store import open_store, schema

SENECA = ("geotagged/odm_seneca/IMG_0446.jpg", "geotagged/odm_seneca/IMG_0447.jpg")


def mosaic(shared_data: Path, path: Path) -> Path:
    """Two real survey photos side by side as a georeferenced GeoTIFF (UTM 18N, 5 cm pixels)."""
    photos = [cv2.cvtColor(cv2.imread(str(shared_data / name)), cv2.COLOR_BGR2RGB) for name in SENECA]
    rows = min(p.shape[0] for p in photos)
    pixels = np.concatenate([p[:rows] for p in photos], axis=1).transpose(2, 0, 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    _, height, width = pixels.shape
    with rasterio.open(
        path, "w", driver="GTiff", width=width, height=height, count=3, dtype="uint8",
        crs="EPSG:32618", transform=Affine(0.05, 0, 350_000, 0, -0.05, 4_750_000), tiled=True,
    ) as dst:  # fmt: skip
        dst.write(pixels)
    return path


def test_an_interrupted_big_raster_carries_on_from_its_stored_chunks(
    shared_data: Path, tmp_path: Path, detector: Detector, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline, "CHUNK_TILES", 4)  # many chunks out of a raster small enough for a test
    folder = tmp_path / "ortho"
    mosaic(shared_data, folder / "ortho.tif")
    with open_store(tmp_path / "whole.sqlite") as store:  # the same raster scanned without a break
        whole = list(scan(store, folder, detector, ScanOptions(readers=1)))[-1]
        reference = snapshot(store)
    chunks = -(-whole.tiles // 4)
    assert chunks >= 8, "the raster is cut into enough chunks to be scanned in parts"

    with open_store(tmp_path / "m.sqlite") as store:
        steps = scan(store, folder, detector, ScanOptions(readers=1))
        chunks_seen = 0
        for progress in steps:
            chunks_seen += progress.phase == SCANNING and progress.frame is None
            if chunks_seen == 3:
                break
        steps.close()  # Ctrl-C, a closed laptop lid: the frame is not finished
        with store.connect() as conn:
            frame_id, status = conn.execute(select(schema.frames.c.id, schema.frames.c.status)).one()
        kept = stored_parts(store, frame_id)
        assert status == "pending" and sorted(kept) == [0, 4, 8]

        rest = list(scan(store, folder, detector, ScanOptions(readers=1)))[-1]
        assert rest.frames_done == 1 and rest.tiles == whole.tiles
        assert rest.tiles_resumed == 12  # the three stored chunks were not run through the detector again
        assert snapshot(store) == reference  # the same tiles, scores, detections and hits
        assert stored_parts(store, frame_id) == {}  # gone with the frame's commit


def test_a_stored_chunk_reads_back_as_it_was_and_only_for_the_same_plan(tmp_path: Path) -> None:
    found = [
        Detections(np.array([[1.5, 2.25, 30.0, 40.125]]), np.array([0.375]), np.array([0])),
        Detections.empty(),
        Detections(np.array([[0, 0, 4, 4], [5, 5, 9, 9]]), np.array([0.9, 0.1]), np.array([0, 24])),
    ]
    tiles = [Tile(0, 0, 416, 416), Tile(384, 0, 416, 416), Tile(768, 0, 416, 416)]
    with open_store(tmp_path / "m.sqlite") as store:
        flight = claims.ensure_flight(store, "ortho", tmp_path)
        claims.register(store, flight, [NewFrame(tmp_path / "ortho.tif", "ab" * 32, 1)], {})
        with store.connect() as conn:
            frame = conn.execute(select(schema.frames.c.id)).scalar_one()
        key = plan_key("model a", tiles)
        save_part(store, frame, 0, key, found)
        assert stored_parts(store, frame) == {0: key}
        back = load_part(store, frame, 0)
    assert [(d.xyxy.tolist(), d.scores.tolist(), d.class_ids.tolist()) for d in back] == [
        (d.xyxy.tolist(), d.scores.tolist(), d.class_ids.tolist()) for d in found
    ]
    assert plan_key("model b", tiles) != key  # another model: the chunk is run again
    assert plan_key("model a", [Tile(0, 0, 416, 416, 2.0), *tiles[1:]]) != key  # another scale, too
