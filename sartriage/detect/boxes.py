"""Box geometry on (N, 4) xyxy arrays: areas, pairwise overlaps, non-maximum suppression."""

from __future__ import annotations

import numpy as np


def areas(xyxy: np.ndarray) -> np.ndarray:
    return np.clip(xyxy[:, 2] - xyxy[:, 0], 0, None) * np.clip(xyxy[:, 3] - xyxy[:, 1], 0, None)


def intersections(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(len(a), len(b)) intersection areas."""
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    return np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(len(a), len(b)) intersection over union."""
    inter = intersections(a, b)
    union = areas(a)[:, None] + areas(b)[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def ios(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(len(a), len(b)) intersection over the smaller of each pair: 1 when one box holds the other."""
    inter = intersections(a, b)
    smaller = np.minimum(areas(a)[:, None], areas(b)[None, :])
    return np.divide(inter, smaller, out=np.zeros_like(inter), where=smaller > 0)


def score_order(xyxy: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Indices by descending score; ties broken by position so the order never depends on input order."""
    return np.lexsort((xyxy[:, 2], xyxy[:, 0], xyxy[:, 1], -scores.astype(np.float64)))


def nms(xyxy: np.ndarray, scores: np.ndarray, iou_threshold: float) -> np.ndarray:
    """Indices of the boxes kept by greedy non-maximum suppression, best first."""
    order = score_order(xyxy, scores)
    keep: list[int] = []
    while order.size:
        best = int(order[0])
        keep.append(best)
        if order.size == 1:
            break
        overlap = iou(xyxy[best : best + 1], xyxy[order[1:]])[0]
        order = order[1:][overlap < iou_threshold]
    return np.asarray(keep, dtype=np.int64)


def suppress_parts(
    xyxy: np.ndarray, scores: np.ndarray, ios_threshold: float = 0.8, area_ratio: float = 0.6
) -> np.ndarray:
    """Indices of the boxes kept, best first, dropping each box that lies almost wholly
    (``ios_threshold``) inside a better-scoring box of over 1 / ``area_ratio`` its area: a second peak
    on part of one person, which peak-based suppression (CenterNet's max-pool) lets through."""
    order = score_order(xyxy, scores)
    area = areas(xyxy)
    keep: list[int] = []
    for i in order:
        if keep:
            kept = np.asarray(keep)
            inside = ios(xyxy[i : i + 1], xyxy[kept])[0] >= ios_threshold
            if (inside & (area[i] < area_ratio * area[kept])).any():
                continue
        keep.append(int(i))
    return np.asarray(keep, dtype=np.int64)
