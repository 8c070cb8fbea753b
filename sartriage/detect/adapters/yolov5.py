"""YOLOv5-style heads: [B, N, 5 + nc] = cx, cy, w, h, objectness, class scores (score = obj x class)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sartriage.detect.adapters.base import Adapter, cxcywh_to_xyxy, one_output
from sartriage.detect.detections import Detections


class YoloV5Adapter(Adapter):
    def decode(self, outputs: Sequence[np.ndarray], min_score: float) -> list[Detections]:
        head = one_output(self.card, outputs, 3)
        size = np.array([self.card.input.width, self.card.input.height] * 2, np.float32)
        result = []
        for item in head:
            item = item[item[:, 4] >= min_score]
            scores, class_ids = self._person_scores(item[:, 5:])
            scores = scores * item[:, 4]
            boxes = item[:, :4] * size if self.card.output.boxes == "normalised" else item[:, :4]
            result.append(self._finish(cxcywh_to_xyxy(boxes), scores, class_ids, min_score))
        return result
