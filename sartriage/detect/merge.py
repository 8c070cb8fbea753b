"""From per-tile boxes to one frame: shift, merge each person seen by several tiles, score every tile."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sartriage.detect.boxes import ios, score_order
from sartriage.detect.detections import Detections, FrameDetections
from sartriage.detect.tiling import Tile, centred_in

SEAM_IOS = 0.5  # a box this much inside another box from a different tile is the same person
EDGE_PX = 2.0  # a box this close to an inner tile edge is cut by it


def tile_scores(detections: Detections, tiles: Sequence[Tile]) -> np.ndarray:
    """Best score among the detections whose centre lies in each tile (0 when none)."""
    scores = np.zeros(len(tiles), np.float32)
    if not len(detections) or not tiles:
        return scores
    inside = centred_in(detections.centres, tiles)
    return np.where(inside, detections.scores[None, :], 0.0).max(axis=1).astype(np.float32)


def _cut_by_tile(xyxy: np.ndarray, tile_index: np.ndarray, tiles: Sequence[Tile]) -> np.ndarray:
    """Whether each box touches an edge of its tile that is not also an edge of the frame."""
    win = np.array([[t.x, t.y, t.x + t.w, t.y + t.h] for t in tiles], np.float32)[tile_index]
    frame_w = max(t.x + t.w for t in tiles)
    frame_h = max(t.y + t.h for t in tiles)
    frame_edge = np.array([0, 0, frame_w, frame_h], np.float32)
    near = np.abs(xyxy - win) <= EDGE_PX
    inner = np.abs(win - frame_edge) > EDGE_PX
    return (near & inner).any(axis=1)


def merge_tiles(
    per_tile: Sequence[Detections],
    tiles: Sequence[Tile],
    seam_ios: float = SEAM_IOS,
    average_views: bool = True,
) -> FrameDetections:
    """Boxes in frame pixels, one per person, best first.

    A box joins the cluster it overlaps most (intersection over the smaller box >= ``seam_ios``) only if no
    box of that cluster came from the same tile: a tile's own boxes are already suppressed by the model,
    so two boxes of one tile are two people and are never fused. A cluster's box is its best member not cut
    by a tile edge, or the union of its members when all are cut.

    Where tiles overlap, a person is seen several times. With ``average_views`` a cluster scores the mean of
    its members' scores over every view that could see it (each tile that holds its box whole or reported
    it; a view that saw nothing counts 0): a chance peak in one of two views is halved, a person seen by
    every view keeps its score. Otherwise it keeps its best member's score.
    """
    if len(per_tile) != len(tiles):
        raise ValueError(f"{len(per_tile)} detection sets for {len(tiles)} tiles")
    tiles = tuple(tiles)
    shifted = [d.to_frame(t) for d, t in zip(per_tile, tiles, strict=True)]
    everything = Detections.merge(shifted)
    origin = np.concatenate(
        [np.full(len(d), i, np.int32) for i, d in enumerate(shifted)] or [np.zeros(0, np.int32)]
    )
    if not len(everything):
        return FrameDetections(
            Detections.empty(), tiles, np.zeros(0, np.int32), np.zeros(len(tiles), np.float32)
        )

    order = score_order(everything.xyxy, everything.scores)
    xyxy, origin = everything.xyxy[order], origin[order]
    cut = _cut_by_tile(xyxy, origin, tiles)
    members: list[list[int]] = []
    heads = np.zeros((len(order), 4), np.float32)  # the first (best) box of each cluster, for matching
    seen_tile = np.zeros((len(order), len(tiles)), bool)  # which tiles each cluster already holds a box of
    for i in range(len(order)):
        k = len(members)
        if k:
            overlap = ios(xyxy[i : i + 1], heads[:k])[0]
            overlap[seen_tile[:k, origin[i]]] = 0.0
            best = int(overlap.argmax())
            if overlap[best] >= seam_ios:
                members[best].append(i)
                seen_tile[best, origin[i]] = True
                continue
        members.append([i])
        heads[k] = xyxy[i]
        seen_tile[k, origin[i]] = True

    boxes = np.empty((len(members), 4), np.float32)
    for k, cluster in enumerate(members):
        whole = [m for m in cluster if not cut[m]]
        if whole:
            boxes[k] = xyxy[whole[0]]
        else:
            part = xyxy[cluster]
            boxes[k] = [part[:, 0].min(), part[:, 1].min(), part[:, 2].max(), part[:, 3].max()]
    firsts = np.array([cluster[0] for cluster in members])
    scores = everything.scores[order]
    if average_views:
        totals = np.array([scores[cluster].sum() for cluster in members], np.float32)
        scores = totals / _views(boxes, seen_tile[: len(members)], tiles)
    else:
        scores = scores[firsts]
    ranked = score_order(boxes, scores)
    merged = Detections(boxes[ranked], scores[ranked], everything.class_ids[order][firsts][ranked])
    return FrameDetections(merged, tiles, origin[firsts][ranked], tile_scores(merged, tiles))


def _views(boxes: np.ndarray, seen_tile: np.ndarray, tiles: Sequence[Tile]) -> np.ndarray:
    """How many tiles saw each box whole, or reported it: the views whose evidence is averaged."""
    win = np.array([[t.x, t.y, t.x + t.w, t.y + t.h] for t in tiles], np.float32)
    whole = (
        (boxes[:, None, 0] >= win[None, :, 0] - EDGE_PX)
        & (boxes[:, None, 1] >= win[None, :, 1] - EDGE_PX)
        & (boxes[:, None, 2] <= win[None, :, 2] + EDGE_PX)
        & (boxes[:, None, 3] <= win[None, :, 3] + EDGE_PX)
    )
    return np.maximum((whole | seen_tile).sum(axis=1), 1).astype(np.float32)
