"""Scoring detections against labels: label readers, matching, recall / precision / AP."""

from sartriage.errors import LabelError
from sartriage.evaluate.labels import FORMATS, ImageLabels, read_labels
from sartriage.evaluate.matching import match
from sartriage.evaluate.metrics import Reach, Scores, Tally, TileTally
from sartriage.evaluate.run import evaluate

__all__ = [
    "FORMATS",
    "ImageLabels",
    "LabelError",
    "Reach",
    "Scores",
    "Tally",
    "TileTally",
    "evaluate",
    "match",
    "read_labels",
]
