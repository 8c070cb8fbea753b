"""Ultralytics YOLOv8 / YOLO11 heads: [B, 4 + nc, N] (or transposed) = cx, cy, w, h + class scores."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sartriage.detect.adapters.base import Adapter, cxcywh_to_xyxy, one_output
from sartriage.detect.detections import Detections


class YoloV8Adapter(Adapter):
    def decode(self, outputs: Sequence[np.ndarray], min_score: float) -> list[Detections]:
        head = one_output(self.card, outputs, 3)
        # channels-first [B, 4+nc, N] is the export default; N (anchors) is always the larger axis
        if head.shape[1] > head.shape[2]:
            head = head.transpose(0, 2, 1)
        size = np.array([self.card.input.width, self.card.input.height] * 2, np.float32)
        result = []
        for item in head:
            scores, class_ids = self._person_scores(item[4:].T)
            keep = scores >= min_score
            boxes = item[:4, keep].T
            if self.card.output.boxes == "normalised":
                boxes = boxes * size
            result.append(self._finish(cxcywh_to_xyxy(boxes), scores[keep], class_ids[keep], min_score))
        return result
