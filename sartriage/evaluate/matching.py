"""Which predictions find a person: IoU >= 0.3, or the prediction's centre inside the label box.

People seen from the air are a few pixels wide, so a loose box around the right spot counts as found.
"""

from __future__ import annotations

import numpy as np

from sartriage.detect.boxes import iou, score_order

MATCH_IOU = 0.3


def points_inside(x: np.ndarray, y: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """(N, M) True where point n lies inside label box m (edges included)."""
    x, y = np.atleast_1d(x)[:, None], np.atleast_1d(y)[:, None]
    return (
        (x >= labels[None, :, 0])
        & (x <= labels[None, :, 2])
        & (y >= labels[None, :, 1])
        & (y <= labels[None, :, 3])
    )


def match(
    pred_xyxy: np.ndarray, pred_scores: np.ndarray, labels: np.ndarray, min_iou: float = MATCH_IOU
) -> np.ndarray:
    """True for each prediction that is the first (by descending score) to find a still unfound label.

    Each label is found at most once: a second box on the same person is a false alarm.
    """
    found = np.zeros(len(pred_scores), bool)
    if not len(pred_scores) or not len(labels):
        return found
    overlap = iou(pred_xyxy, labels)
    cx = (pred_xyxy[:, 0] + pred_xyxy[:, 2]) / 2
    cy = (pred_xyxy[:, 1] + pred_xyxy[:, 3]) / 2
    inside = points_inside(cx, cy, labels)
    quality = np.where((overlap >= min_iou) | inside, overlap, -np.inf)  # the best-overlapping candidate
    taken = np.zeros(len(labels), bool)
    for i in score_order(pred_xyxy, pred_scores):
        row = np.where(taken, -np.inf, quality[i])
        best = int(row.argmax())
        if np.isfinite(row[best]):
            found[i] = True
            taken[best] = True
    return found
