"""YOLOX raw head: [B, N, 5 + nc] per grid cell of strides 8/16/32 = dx, dy, log w, log h, obj, classes."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

import numpy as np

from sartriage.detect.adapters.base import Adapter, cxcywh_to_xyxy, one_output
from sartriage.detect.detections import Detections
from sartriage.errors import ModelError

STRIDES = (8, 16, 32)


class YoloXAdapter(Adapter):
    @cached_property
    def _grid(self) -> tuple[np.ndarray, np.ndarray]:
        """Cell origins (N, 2) and strides (N, 1), in the head's order: stride by stride, row by row."""
        origins, strides = [], []
        for stride in STRIDES:
            h, w = self.card.input.height // stride, self.card.input.width // stride
            ys, xs = np.mgrid[0:h, 0:w]
            origins.append(np.stack([xs.ravel(), ys.ravel()], axis=1))
            strides.append(np.full((h * w, 1), stride))
        return np.concatenate(origins).astype(np.float32), np.concatenate(strides).astype(np.float32)

    def decode(self, outputs: Sequence[np.ndarray], min_score: float) -> list[Detections]:
        head = one_output(self.card, outputs, 3)
        origins, strides = self._grid
        if head.shape[1] != len(origins):
            raise ModelError(
                f"{self.card.model_path}: YOLOX head has {head.shape[1]} cells, a "
                f"{self.card.input.width}x{self.card.input.height} input with strides 8/16/32 gives "
                f"{len(origins)}"
            )
        result = []
        for item in head:
            scores, class_ids = self._person_scores(item[:, 5:])
            scores = scores * item[:, 4]
            keep = scores >= min_score
            cells = item[keep]
            centres = (cells[:, :2] + origins[keep]) * strides[keep]
            sizes = np.exp(np.minimum(cells[:, 2:4], 10.0)) * strides[keep]
            boxes = cxcywh_to_xyxy(np.concatenate([centres, sizes], axis=1))
            result.append(self._finish(boxes, scores[keep], class_ids[keep], min_score))
        return result
