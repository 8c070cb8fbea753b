"""Person detection: model cards, family adapters, the ONNX Runtime session, tiling, seam merging."""

from sartriage.detect.card import ModelCard, find_card
from sartriage.detect.detections import Detections, FrameDetections
from sartriage.detect.detector import Detector, FrameLike
from sartriage.detect.tiling import Tile, plan_tiles

__all__ = [
    "Detections",
    "Detector",
    "FrameDetections",
    "FrameLike",
    "ModelCard",
    "Tile",
    "find_card",
    "plan_tiles",
]
