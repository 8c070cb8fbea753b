"""One adapter per model family; ``adapter_for(card)`` picks it."""

from __future__ import annotations

from sartriage.detect.adapters.base import Adapter
from sartriage.detect.adapters.centernet import CenterNetAdapter
from sartriage.detect.adapters.nanodet import NanoDetAdapter
from sartriage.detect.adapters.yolov5 import YoloV5Adapter
from sartriage.detect.adapters.yolov8 import YoloV8Adapter
from sartriage.detect.adapters.yolox import YoloXAdapter
from sartriage.detect.card import ModelCard

ADAPTERS: dict[str, type[Adapter]] = {
    "centernet": CenterNetAdapter,
    "yolov8": YoloV8Adapter,
    "yolo11": YoloV8Adapter,
    "yolov5": YoloV5Adapter,
    "yolox": YoloXAdapter,
    "nanodet": NanoDetAdapter,
}


def adapter_for(card: ModelCard) -> Adapter:
    return ADAPTERS[card.family](card)


__all__ = ["ADAPTERS", "Adapter", "adapter_for"]
