"""CenterNet with decoding and peak suppression inside the graph: [B, K, 6] = x1, y1, x2, y2, score, class.

Max-pool peak suppression keeps a second peak on part of a person (head, legs); those parts are dropped
here. Overlapping boxes of similar size stay: side by side they are two people. The card's clue classes
are read the same way, apart from the persons, after them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sartriage.detect.adapters.base import Adapter
from sartriage.detect.boxes import suppress_parts
from sartriage.detect.detections import Detections
from sartriage.errors import ModelError


class CenterNetAdapter(Adapter):
    reads_clues = True

    def needed_outputs(self, outputs: Sequence[tuple[str, Sequence[object]]]) -> list[str] | None:
        # the per-class heat maps (e.g. [B, 128, 128, 80]) are not read: not copying them out saves time
        boxes = [name for name, shape in outputs if len(shape) == 3 and shape[-1] == 6]
        return boxes or None

    def decode(self, outputs: Sequence[np.ndarray], min_score: float) -> list[Detections]:
        dets = next((o for o in outputs if o.ndim == 3 and o.shape[-1] == 6), None)
        if dets is None:
            raise ModelError(f"{self.card.model_path}: no [B, K, 6] detections output for family centernet")
        size = np.array([self.card.input.width, self.card.input.height] * 2, np.float32)
        result = []
        for item in dets:
            xyxy = item[:, :4] * size if self.card.output.boxes == "normalised" else item[:, :4]
            class_ids = np.rint(item[:, 5]).astype(np.int64)
            kinds = [np.isin(class_ids, self.person_ids)]
            if len(self.clue_ids):
                kinds.append(np.isin(class_ids, self.clue_ids))
            found = [self._finish(xyxy[k], item[k, 4], class_ids[k], min_score) for k in kinds]
            result.append(Detections.merge([f[suppress_parts(f.xyxy, f.scores)] for f in found]))
        return result
