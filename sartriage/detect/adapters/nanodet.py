"""NanoDet (2020 export): per stride a class-score tensor [B, N, nc] (sigmoid) and a box distribution
[B, N, 4 x bins] (left, top, right, bottom; softmax, expectation times stride). Outputs are told apart by
shape: the stride from N, the kind from the last axis (the class count, else 4 x 8 bins)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sartriage.detect.adapters.base import Adapter
from sartriage.detect.detections import Detections
from sartriage.errors import ModelError

STRIDES = (8, 16, 32)
DEFAULT_BINS = 8  # reg_max 7


class NanoDetAdapter(Adapter):
    def _levels(self, outputs: Sequence[np.ndarray]) -> list[tuple[int, np.ndarray, np.ndarray]]:
        w, h = self.card.input.width, self.card.input.height
        cells = {(w // s) * (h // s): s for s in STRIDES}
        by_stride: dict[int, list[np.ndarray]] = {}
        for out in outputs:
            if out.ndim == 3 and out.shape[1] in cells:
                by_stride.setdefault(cells[out.shape[1]], []).append(out)
        levels = []
        for stride in STRIDES:
            pair = by_stride.get(stride, [])
            kinds = sorted(pair, key=self._is_distribution)
            if len(pair) != 2 or self._is_distribution(kinds[0]) or not self._is_distribution(kinds[1]):
                raise ModelError(
                    f"{self.card.model_path}: cannot tell the score and distribution outputs of stride "
                    f"{stride} "
                    f"apart (shapes {[o.shape for o in pair]}); list every class in [classes] names"
                )
            levels.append((stride, kinds[0], kinds[1]))
        return levels

    def _is_distribution(self, out: np.ndarray) -> bool:
        channels = out.shape[2]
        if self.card.class_names:
            return channels != len(self.card.class_names)
        return channels == 4 * DEFAULT_BINS

    def decode(self, outputs: Sequence[np.ndarray], min_score: float) -> list[Detections]:
        levels = self._levels(outputs)
        w = self.card.input.width
        batch = levels[0][1].shape[0]
        result = []
        for b in range(batch):
            all_boxes, all_scores, all_ids = [], [], []
            for stride, score_out, dist_out in levels:
                scores, class_ids = self._person_scores(score_out[b])
                keep = np.flatnonzero(scores >= min_score)
                if not keep.size:
                    continue
                bins = dist_out.shape[2] // 4
                logits = dist_out[b, keep].reshape(-1, 4, bins)
                prob = np.exp(logits - logits.max(axis=2, keepdims=True))
                prob /= prob.sum(axis=2, keepdims=True)
                dist = (prob * np.arange(bins, dtype=np.float32)).sum(axis=2) * stride
                cols = w // stride
                cx = (keep % cols + 0.5) * stride
                cy = (keep // cols + 0.5) * stride
                boxes = np.stack([cx - dist[:, 0], cy - dist[:, 1], cx + dist[:, 2], cy + dist[:, 3]], axis=1)
                all_boxes.append(boxes)
                all_scores.append(scores[keep])
                all_ids.append(class_ids[keep])
            if not all_boxes:
                result.append(Detections.empty())
                continue
            result.append(
                self._finish(
                    np.concatenate(all_boxes), np.concatenate(all_scores), np.concatenate(all_ids), min_score
                )
            )
        return result
