"""Recognise a detector's family from its ONNX graph and draft a model card for it.

The draft is a starting point a person checks: colour order and normalisation cannot be read from a graph,
so each family gets the preprocessing its reference exporter uses.
"""

from __future__ import annotations

import ast
import logging
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from sartriage.detect.adapters import adapter_for
from sartriage.detect.adapters.base import one_output
from sartriage.detect.card import (
    InputSpec,
    ModelCard,
    OutputSpec,
    ScaleSpec,
    card_path_for,
    find_card,
    sha256_of,
)
from sartriage.detect.session import Session
from sartriage.errors import ModelError

log = logging.getLogger(__name__)

STRIDES = (8, 16, 32)
PERSON_NAMES = ("person", "pedestrian", "people", "human")
# VisDrone-DET's ten classes in their training order, assumed for a 10-class graph that names none
VISDRONE_NAMES = (
    "pedestrian", "people", "bicycle", "car", "van", "truck", "tricycle", "awning-tricycle", "bus", "motor",
)  # fmt: skip
COCO_CLASSES = 80

# The preprocessing each family's reference exporter bakes in: colour, scale, mean, std, pad anchor.
FAMILY_INPUT: dict[str, dict[str, object]] = {
    "centernet": {"colour": "RGB", "scale": 1.0, "pad_anchor": "center"},
    "yolov8": {"colour": "RGB", "scale": 1 / 255, "pad_anchor": "center"},
    "yolov5": {"colour": "RGB", "scale": 1 / 255, "pad_anchor": "center"},
    "yolox": {"colour": "BGR", "scale": 1.0, "pad_anchor": "top-left"},
    "nanodet": {
        "colour": "BGR",
        "scale": 1.0,
        "pad_anchor": "center",
        "mean": (103.53, 116.28, 123.675),
        "std": (57.375, 57.12, 58.395),
    },
}


@dataclass(frozen=True)
class Graph:
    """The parts of an ONNX graph that tell its family: input shape and output shapes, plus metadata."""

    input_name: str
    input_shape: tuple[int | str | None, ...]
    outputs: tuple[tuple[str, tuple[int | str | None, ...]], ...]
    metadata: dict[str, str]


def read_graph(model: Path) -> Graph:
    session = Session(model, device="cpu").runtime
    first = session.get_inputs()[0]
    return Graph(
        input_name=first.name,
        input_shape=tuple(first.shape),
        outputs=tuple((o.name, tuple(o.shape)) for o in session.get_outputs()),
        metadata=dict(session.get_modelmeta().custom_metadata_map),
    )


def _input_geometry(model: Path, shape: tuple[int | str | None, ...]) -> tuple[str, int, int]:
    if len(shape) != 4:
        raise ModelError(f"{model}: input has shape {list(shape)}, not an image batch")
    if shape[1] == 3:
        layout, h, w = "NCHW", shape[2], shape[3]
    elif shape[3] == 3:
        layout, h, w = "NHWC", shape[1], shape[2]
    else:
        raise ModelError(f"{model}: cannot find the 3 colour channels in input shape {list(shape)}")
    if not isinstance(w, int) or not isinstance(h, int):
        raise ModelError(f"{model}: input size is dynamic ({list(shape)}); export it with a fixed size")
    return layout, w, h


def recognise(graph: Graph, width: int, height: int) -> str:
    """The family whose output layout the graph has."""
    shapes = [s for _, s in graph.outputs]
    cells = sum((width // s) * (height // s) for s in STRIDES)
    if any(len(s) == 3 and s[-1] == 6 for s in shapes):
        return "centernet"
    level_sizes = {(width // s) * (height // s) for s in STRIDES}
    if len(shapes) == 6 and all(len(s) == 3 and s[1] in level_sizes for s in shapes):
        return "nanodet"
    if len(shapes) == 1 and len(shapes[0]) == 3:
        _, a, b = shapes[0]
        if isinstance(a, int) and isinstance(b, int):
            if a < b:
                names = graph.metadata.get("description", "")
                return "yolo11" if "yolo11" in names.lower() else "yolov8"
            if a == cells:
                return "yolox"
            if a == 3 * cells:
                return "yolov5"
    raise ModelError(
        f"cannot recognise the detector family from outputs {[list(s) for s in shapes]}; supported: "
        "centernet [B,K,6], yolov8/yolo11 [B,4+nc,N], yolov5 [B,3N,5+nc], yolox [B,N,5+nc], "
        "nanodet (6 outputs)"
    )


def _class_names(graph: Graph) -> tuple[str, ...]:
    raw = graph.metadata.get("names")
    if raw:
        try:
            names = ast.literal_eval(raw)
            if isinstance(names, dict):
                return tuple(str(names[k]) for k in sorted(names))
        except (ValueError, SyntaxError):
            log.warning("model metadata 'names' is unreadable: %s", raw[:80])
    return ()


def _class_count(graph: Graph, family: str) -> int | None:
    shapes = [tuple(d if isinstance(d, int) else -1 for d in s) for _, s in graph.outputs]
    if family in ("yolov8", "yolo11"):
        return int(shapes[0][1]) - 4
    if family in ("yolov5", "yolox"):
        return int(shapes[0][2]) - 5
    if family == "nanodet":
        widths = {int(s[2]) for s in shapes}
        return min(widths - {32}) if widths - {32} else None
    return None


def _boxes_normalised(model: Path, card: ModelCard) -> bool:
    """YOLO heads export boxes in pixels or as fractions: on any input, fractions never pass ~1."""
    session = Session(model, device="cpu")
    tiles = np.full((1, card.input.height, card.input.width, 3), 114, np.uint8)
    head = one_output(card, session.run(adapter_for(card).preprocess(tiles)), 3)[0]
    centres = head[:2] if head.shape[0] < head.shape[1] else head[:, :2].T
    return float(np.abs(centres).max()) < 2.0


def draft_card(model: Path, out: Path | None = None) -> ModelCard:
    """A card for ``model`` written to ``out`` (default: beside the model); returns it."""
    model = Path(model)
    if not model.is_file():
        raise ModelError(f"{model}: model file not found")
    graph = read_graph(model)
    layout, width, height = _input_geometry(model, graph.input_shape)
    family = recognise(graph, width, height)
    names = _class_names(graph)
    nc = _class_count(graph, family)
    if not names and nc == COCO_CLASSES:
        names = ("person",)  # COCO order starts with person; other names are not needed
    elif not names and nc == len(VISDRONE_NAMES):
        names = VISDRONE_NAMES  # drone-view detectors trained on VisDrone-DET: pedestrian and people
    person = [i for i, n in enumerate(names) if n.lower() in PERSON_NAMES] or [0]
    preset = FAMILY_INPUT["yolov8" if family == "yolo11" else family]
    batch = graph.input_shape[0]
    target = Path(out) if out is not None else card_path_for(model)
    card = ModelCard(
        path=target.resolve(),
        file=_relative(model, target),
        family=family,
        input=InputSpec(
            name=graph.input_name,
            layout=layout,
            width=width,
            height=height,
            dynamic_batch=not isinstance(batch, int) or batch <= 0,
            **preset,  # type: ignore[arg-type]
        ),
        person_ids=tuple(person),
        sha256=sha256_of(model),
        name=model.stem,
        provenance="draft written by `sartriage model inspect`: fill in where the model came from",
        licence="unknown: fill in",
        output=OutputSpec(boxes="pixels", nms_inside=family == "centernet"),
        class_names=names if len(names) == nc else (),
        scale=ScaleSpec(),
        weaknesses="untested: run `sartriage eval` on labelled imagery before trusting it",
    )
    if family in ("yolov8", "yolo11") and _boxes_normalised(model, card):
        card = replace(card, output=OutputSpec(boxes="normalised", nms_inside=False))
    card.write(target)
    return card


def card_or_draft(model: Path) -> tuple[ModelCard, str]:
    """The verified card of a chosen model, drafting one beside an .onnx that has none; with what was
    drafted, in words (empty when the card was there)."""
    model = Path(model)
    drafted = ""
    if model.suffix.lower() == ".onnx" and model.is_file() and not card_path_for(model).exists():
        card = draft_card(model)
        drafted = (
            f"{model.name} had no model card, so one was drafted from the model itself: {guessed(card)}. "
            f"It is saved as {card.path.name} beside the model. Check it against the model's documentation, "
            "and measure the model on labelled photos (`sartriage eval`) before trusting the tiles it clears."
        )
    return find_card(model), drafted


def guessed(card: ModelCard) -> str:
    """What a draft card guessed from the graph, in one line, to check against the model's documentation."""
    spec = card.input
    return (
        f"family {card.family}: input {spec.name} {spec.layout} {spec.width}x{spec.height} {spec.colour}, "
        f"person classes {list(card.person_ids)}, boxes {card.output.boxes}"
        f"{', NMS inside' if card.output.nms_inside else ''}"
    )


def _relative(model: Path, card: Path) -> str:
    try:
        return str(model.resolve().relative_to(card.resolve().parent))
    except ValueError:
        return str(model.resolve())
