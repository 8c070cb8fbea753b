"""A mission store built from the real DeerVision XT2 survey line, for every export test.

Each of the 24 thermal frames (640x512, nadir, about 100 m up, about 25 m apart) is opened
with ``open_frame`` and stored with its real footprint and capture time; it gets four tiles
(2x2). Two people are placed on the ground: ``P1`` at the centre of DJI_0044_R (seen by
five overlapping frames) and ``P2`` near the start of the line. Every frame that sees a
person gets a detection box around the pixel its own georeferencing puts that person at
(shifted by a pixel or two, as real views differ) and a confirmed hit with the ground
position and error radius of that pixel. One false alarm is rejected, and one person only
the volunteers saw (on a quality-check tile the detector had cleared) is confirmed.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from hit_rows import add_detection, add_flight, add_frame, add_hit, add_tile
from sqlalchemy import insert, select

from sartriage.frames import open_frame
from sartriage.store import Store, open_store, schema, utcnow

TILE_W, TILE_H = 320, 256
BOX_W, BOX_H = 10, 16  # a person at 0.13 m per pixel


@dataclass
class Mission:
    path: Path | str  # a SQLite file or a database URL
    frames: dict[str, int] = field(default_factory=dict)  # frame name -> id
    people: dict[str, tuple[float, float]] = field(default_factory=dict)  # name -> (lon, lat)
    views: dict[str, list[int]] = field(default_factory=dict)  # person -> confirmed hit ids
    rejected: int = 0
    missed: int = 0  # the volunteers' hit on a quality-check tile
    tiles: dict[int, str] = field(default_factory=dict)  # tile id -> state
    reviewed_empty: list[int] = field(default_factory=list)  # volunteers finished them as empty
    escalated: int = 0  # a disputed tile the coordinator decided had no person

    def open(self) -> Store:
        return open_store(self.path, create=False)


def _state(frame_index: int, tile_index: int) -> str:
    return ("cleared", "review", "cleared", "review")[(frame_index + tile_index) % 4]


def build_mission(xt2_frames: list[Path], path: Path | str) -> Mission:
    out = Mission(path)
    rng = np.random.default_rng(7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        opened = []
        for path in xt2_frames:
            with open_frame(path) as frame:
                opened.append((path, frame.width, frame.height, frame.gsd_m, frame.meta, frame.georef))
    centre = {p.name: g.pixel_to_ground([w / 2], [h / 2]) for p, w, h, _, _, g in opened}
    out.people = {
        "P1": (float(centre["DJI_0044_R.JPG"][0][0]), float(centre["DJI_0044_R.JPG"][1][0])),
        "P2": (float(centre["DJI_0004_R.JPG"][0][0]) + 1e-4, float(centre["DJI_0004_R.JPG"][1][0])),
    }
    out.views = {name: [] for name in out.people}
    with open_store(out.path, mission_name="XT2 line") as store, store.begin() as conn:
        flight = add_flight(conn, store, "xt2", folder=str(xt2_frames[0].parent))
        conn.execute(
            schema.missions.update().values(
                settings={"model": "yolov8n-person", "thresholds": {"clear_below": 0.1, "flag_above": 0.6}}
            )
        )
        for i, (path, width, height, gsd, meta, georef) in enumerate(opened):
            captured_at, captured_local = meta.capture_time()
            frame_id = add_frame(
                conn,
                flight,
                str(path),
                width=width,
                height=height,
                captured_at=captured_at,
                captured_local=captured_local,
                lon=meta.lon,
                lat=meta.lat,
                gsd_m=gsd,
                footprint=georef.footprint(),
            )
            out.frames[path.name] = frame_id
            tiles = {}
            for t, (tx, ty) in enumerate([(0, 0), (TILE_W, 0), (0, TILE_H), (TILE_W, TILE_H)]):
                state = _state(i, t)
                tiles[(tx, ty)] = (state, t)
            seen = []
            for name, (lon, lat) in out.people.items():
                px, py = georef.ground_to_pixel([lon], [lat])
                x, y = float(px[0]), float(py[0])
                if np.isfinite(x) and BOX_W < x < width - BOX_W and BOX_H < y < height - BOX_H:
                    seen.append((name, x + rng.uniform(-2, 2), y + rng.uniform(-2, 2)))
            flagged = {(int(x // TILE_W) * TILE_W, int(y // TILE_H) * TILE_H) for _, x, y in seen}
            tile_ids = {}
            for (tx, ty), (state, t) in tiles.items():
                state = "flagged" if (tx, ty) in flagged else state
                qc = state == "cleared" and (i + t) % 5 == 0
                tile_ids[(tx, ty)] = add_tile(
                    conn, frame_id, tx, ty, TILE_W, TILE_H, score=0.3, state=state, quality_check=qc
                )
                out.tiles[tile_ids[(tx, ty)]] = state
            for name, x, y in seen:
                tile = tile_ids[(int(x // TILE_W) * TILE_W, int(y // TILE_H) * TILE_H)]
                lon, lat, radius = (float(v[0]) for v in georef.pixel_to_ground([x], [y]))
                box = (x - BOX_W / 2, y - BOX_H / 2, x + BOX_W / 2, y + BOX_H / 2)
                det = add_detection(conn, frame_id, tile, box, 0.85, lon=lon, lat=lat, error_radius_m=radius)
                hit = add_hit(
                    conn,
                    tile,
                    x=x,
                    y=y,
                    confidence=0.6 + 0.01 * i,
                    detection_id=det,
                    lon=lon,
                    lat=lat,
                    error_radius_m=radius,
                    status="confirmed",
                )
                out.views[name].append(hit)
        # a false alarm the coordinator rejected, on a review tile of DJI_0020_R
        path, width, height, gsd, meta, georef = opened[9]
        tile = next(t for t, s in out.tiles.items() if s == "review" and t > 4 * 9)
        x, y = 100.0, 100.0
        lon, lat, radius = (float(v[0]) for v in georef.pixel_to_ground([x], [y]))
        det = add_detection(
            conn,
            out.frames[path.name],
            tile,
            (95, 92, 105, 108),
            0.4,
            lon=lon,
            lat=lat,
            error_radius_m=radius,
        )
        out.rejected = add_hit(
            conn,
            tile,
            x=x,
            y=y,
            confidence=0.4,
            detection_id=det,
            lon=lon,
            lat=lat,
            error_radius_m=radius,
            status="rejected",
        )
        # a person the detector missed: a quality-check tile where three volunteers said "person"
        qc_tile = next(t for t, s in out.tiles.items() if s == "cleared" and t > 4 * 16)
        tx, ty, frame_id = conn.execute(
            select(schema.tiles.c.x, schema.tiles.c.y, schema.tiles.c.frame_id).where(
                schema.tiles.c.id == qc_tile
            )
        ).one()
        conn.execute(schema.tiles.update().where(schema.tiles.c.id == qc_tile).values(quality_check=True))
        frame_name = next(n for n, fid in out.frames.items() if fid == frame_id)
        georef = next(o[5] for o in opened if o[0].name == frame_name)
        x, y = tx + 200.0, ty + 150.0
        lon, lat, radius = (float(v[0]) for v in georef.pixel_to_ground([x], [y]))
        out.missed = add_hit(
            conn,
            qc_tile,
            x=x,
            y=y,
            confidence=0.9,
            source="volunteers",
            lon=lon,
            lat=lat,
            error_radius_m=radius,
            status="confirmed",
        )
        now = utcnow()
        for n, name in enumerate(["Ana", "Bo", "Cy"]):
            vid = conn.execute(
                insert(schema.volunteers).values(name=name, token_hash=f"{n:064d}", created_at=now)
            ).inserted_primary_key[0]
            assignment = conn.execute(
                insert(schema.assignments).values(
                    public_id=f"a{n}",
                    volunteer_id=vid,
                    tile_id=qc_tile,
                    kind="review",
                    state="answered",
                    created_at=now,
                    expires_at=now,
                    answered_at=now,
                )
            ).inserted_primary_key[0]
            conn.execute(
                insert(schema.answers).values(
                    assignment_id=assignment,
                    volunteer_id=vid,
                    tile_id=qc_tile,
                    answer="person",
                    created_at=now,
                )
            )
        out.people["P3"] = (lon, lat)
        # volunteers finished two review tiles of DJI_0014_R as empty; a dispute on a third was decided
        frame_14 = out.frames["DJI_0014_R.JPG"]
        review_14 = (
            conn.execute(
                select(schema.tiles.c.id).where(
                    schema.tiles.c.frame_id == frame_14, schema.tiles.c.state == "review"
                )
            )
            .scalars()
            .all()
        )
        out.reviewed_empty = list(review_14)
        for tile_id in review_14:
            conn.execute(
                insert(schema.review_tiles).values(
                    tile_id=tile_id,
                    flight_id=flight,
                    score=0.3,
                    boost=0,
                    flight_created_at=now,
                    needed=3,
                    answers=3,
                    inflight=0,
                    state="done",
                    posterior=0.05,
                    updated_at=now,
                )
            )
        disputed = next(t for t, s in out.tiles.items() if s == "review" and t > 4 * 20)
        conn.execute(
            insert(schema.escalations).values(
                tile_id=disputed,
                created_at=now,
                posterior=0.5,
                reason="split answers",
                decision="no_person",
                decided_at=now,
            )
        )
        out.escalated = disputed
        out.views["P3"] = [out.missed]
    return out
