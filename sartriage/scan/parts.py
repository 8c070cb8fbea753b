"""The detector's output of a big frame, kept chunk by chunk until the frame is committed.

An orthomosaic can take hours to scan. Each chunk of its tiles is stored as it comes out of the detector,
so an interrupted scan carries on from the last stored chunk instead of from the frame's first tile. A
stored chunk is used again only for the same model and the same tile windows (``plan_key``); the rows go
with the frame's commit, or its failure (``drop_parts``).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence

import numpy as np
from sqlalchemy import Connection, delete, select

from sartriage.detect import Tile
from sartriage.detect.detections import Detections
from sartriage.store import Store, schema
from sartriage.store.upsert import dialect_insert

PART_MIN_CHUNKS = 4  # frames of fewer chunks (every drone photo) are quicker to redo than to store


def plan_key(model: str, tiles: Sequence[Tile]) -> str:
    """What a chunk's detections depend on: the model and the chunk's tile windows at their scales."""
    text = model + "|" + ";".join(f"{t.x},{t.y},{t.w},{t.h},{t.scale!r}" for t in tiles)
    return hashlib.sha256(text.encode()).hexdigest()


def stored_parts(store: Store, frame_id: int) -> dict[int, str]:
    """The frame's stored chunks: first tile -> plan key."""
    parts = schema.frame_parts
    with store.connect() as conn:
        rows = conn.execute(select(parts.c.start, parts.c.plan_key).where(parts.c.frame_id == frame_id))
        return {int(start): str(key) for start, key in rows}


def save_part(store: Store, frame_id: int, start: int, key: str, found: Sequence[Detections]) -> None:
    blob = _pack(found)
    parts = schema.frame_parts
    with store.begin() as conn:
        conn.execute(
            dialect_insert(conn, parts)
            .values(frame_id=frame_id, start=start, plan_key=key, detections=blob)
            .on_conflict_do_update(
                index_elements=[parts.c.frame_id, parts.c.start], set_={"plan_key": key, "detections": blob}
            )
        )


def load_part(store: Store, frame_id: int, start: int) -> list[Detections]:
    parts = schema.frame_parts
    with store.connect() as conn:
        blob = conn.execute(
            select(parts.c.detections).where(parts.c.frame_id == frame_id, parts.c.start == start)
        ).scalar_one()
    return _unpack(bytes(blob))


def drop_parts(conn: Connection, frame_id: int) -> None:
    conn.execute(delete(schema.frame_parts).where(schema.frame_parts.c.frame_id == frame_id))


def _pack(found: Sequence[Detections]) -> bytes:
    counts = np.array([len(d.scores) for d in found], np.int64)
    every = [*found, Detections.empty()]  # concatenate needs one array at least
    out = io.BytesIO()
    np.savez_compressed(
        out,
        counts=counts,
        xyxy=np.concatenate([d.xyxy for d in every]),
        scores=np.concatenate([d.scores for d in every]),
        class_ids=np.concatenate([d.class_ids for d in every]),
    )
    return out.getvalue()


def _unpack(blob: bytes) -> list[Detections]:
    with np.load(io.BytesIO(blob), allow_pickle=False) as arrays:
        counts, xyxy, scores, class_ids = (arrays[k] for k in ("counts", "xyxy", "scores", "class_ids"))
    ends = np.cumsum(counts)
    return [
        Detections(xyxy[e - n : e], scores[e - n : e], class_ids[e - n : e])
        for n, e in zip(counts.tolist(), ends.tolist(), strict=True)
    ]
