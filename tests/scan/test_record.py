from __future__ import annotations

from pathlib import Path

import numpy as np
from hit_rows import add_detection, add_flight, add_frame, add_tile
from sqlalchemy import select

from sartriage.detect import Tile
from sartriage.detect.detections import Detections, FrameDetections
from sartriage.scan.record import Ground, _write_hits
from sartriage.scan.triage import TileTriage
from sartriage.store import open_store, schema


def test_a_person_on_the_seam_of_two_flagged_tiles_is_one_candidate(tmp_path: Path) -> None:
    tiles = (Tile(0, 0, 512, 512, 1.0), Tile(410, 0, 512, 512, 1.0), Tile(820, 0, 512, 512, 1.0))
    box = (440.0, 100.0, 470.0, 160.0)  # centred in the overlap of the first two tiles
    far = (1200.0, 300.0, 1230.0, 360.0)  # only in the third
    found = FrameDetections(
        Detections(
            xyxy=np.array([box, far], np.float32),
            scores=np.array([0.9, 0.8], np.float32),
            class_ids=np.zeros(2, np.int32),
        ),
        tiles,
        tile_ids=np.array([0, 2]),
        tile_scores=np.array([0.9, 0.9, 0.8]),
    )
    triage = TileTriage(states=np.array(["flagged"] * 3), quality_check=np.zeros(3, bool))
    with open_store(tmp_path / "m.sqlite") as store, store.begin() as conn:
        frame = add_frame(conn, add_flight(conn, store), "/card/DJI_0001.JPG", width=1332, height=512)
        tile_ids = [add_tile(conn, frame, t.x, t.y, t.w, t.h, state="flagged") for t in tiles]
        det_ids = [
            add_detection(conn, frame, tile_ids[0], box, 0.9),
            add_detection(conn, frame, tile_ids[2], far, 0.8),
        ]
        _write_hits(conn, found, Ground.unknown(2), triage, tile_ids, det_ids)
        hits = conn.execute(select(schema.hits).order_by(schema.hits.c.id)).mappings().all()
    assert [(h["tile_id"], h["detection_id"]) for h in hits] == [
        (tile_ids[0], det_ids[0]),
        (tile_ids[2], det_ids[1]),
    ]
    assert [(h["x"], h["y"]) for h in hits] == [(455.0, 130.0), (1215.0, 330.0)]
