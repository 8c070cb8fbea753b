"""ONNX graphs cut from a shipped CenterNet: its per-cell features, and the same with a trained head.

The base model's stride-4 map (the one feeding its heat map), its stride-8 map brought to stride 4, and
its 80 class logits are concatenated per heat-map cell, then averaged over 5x5 and 11x11 cells for
context. ``features_model`` returns that stack; ``detector_model`` appends the trained head (two 1x1
convolutions) and CenterNet's decoding (``PEAK`` x ``PEAK`` peaks, top 100), so the result reads and
writes exactly like the base model: same input, a ``[B, 100, 6]`` output of x1, y1, x2, y2, score, class 0.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from sartriage.errors import ModelError

# Tensors of the shipped CenterNet MobileNetV3 512 (tools/convert_centernet.py) the features are read from.
STRIDE4 = "tower_0/CenternetHead/mul:0"  # [B, 128, 128, 128]
STRIDE8 = "tower_0/CenternetHead/Relu_1:0"  # [B, 192, 64, 64]
CLASS_LOGITS = "tower_0/CenternetHead/centernet_cls_output/BiasAdd_BiasAdd__107:0"  # [B, 80, 128, 128]
STRIDE = 4
CONTEXT = (5, 11)  # cells averaged around each cell, besides the cell itself
FEATURES = "features"
DETECTIONS = "detections"
TOP_K = 100
# Peaks are local maxima over PEAK x PEAK cells: 20 model pixels, less than a person's width seen at the
# scale the head is trained for, so one person gives one peak and two people side by side two.
PEAK = 5


def _const(name: str, value: np.ndarray) -> onnx.TensorProto:
    return numpy_helper.from_array(np.asarray(value), name)


def _keep_only(graph: onnx.GraphProto, outputs: Iterable[str]) -> None:
    """Drop every node and initializer that the given outputs do not need."""
    needed = set(outputs)
    kept = []
    for node in reversed(graph.node):
        if needed.intersection(node.output):
            kept.append(node)
            needed.update(i for i in node.input if i)
    kept.reverse()
    del graph.node[:]
    graph.node.extend(kept)
    inits = [t for t in graph.initializer if t.name in needed]
    del graph.initializer[:]
    graph.initializer.extend(inits)


CELL_CHANNELS = 128 + 192 + 80
PERSON_LOGIT = 128 + 192  # among a cell's features: the base model's own person logit (COCO class 0)


def _cell_nodes(graph: onnx.GraphProto) -> None:
    """Add ``cell``: the base model's per-cell features ``[B, CELL_CHANNELS, 128, 128]``."""
    produced = {o for n in graph.node for o in n.output}
    missing = [t for t in (STRIDE4, STRIDE8, CLASS_LOGITS) if t not in produced]
    if missing:
        raise ModelError(
            f"the base model lacks {missing}: only the shipped CenterNet MobileNetV3 is supported"
        )
    graph.initializer.extend([_const("up2", np.array([1, 1, 2, 2], np.float32))])
    graph.node.extend(
        [
            helper.make_node("Resize", [STRIDE8, "", "up2"], ["s8up"], mode="nearest"),
            helper.make_node("Concat", [STRIDE4, "s8up", CLASS_LOGITS], ["cell"], axis=1),
        ]
    )


def _pool(source: str, k: int, out: str) -> onnx.NodeProto:
    pad = k // 2
    return helper.make_node(
        "AveragePool", [source], [out], kernel_shape=[k, k], pads=[pad] * 4, count_include_pad=0
    )


def features_model(base: Path) -> onnx.ModelProto:
    """The base model cut to return its per-cell feature stack ``[B, C, 128, 128]``."""
    model = onnx.load(str(base))
    graph = model.graph
    _cell_nodes(graph)
    graph.node.extend([_pool("cell", k, f"ctx{k}") for k in CONTEXT])
    graph.node.append(helper.make_node("Concat", ["cell", *(f"ctx{k}" for k in CONTEXT)], [FEATURES], axis=1))
    channels = CELL_CHANNELS * (1 + len(CONTEXT))
    del graph.output[:]
    graph.output.append(
        helper.make_tensor_value_info(FEATURES, TensorProto.FLOAT, ["batch", channels, 128, 128])
    )
    _keep_only(graph, [FEATURES])
    return model


def detector_model(
    base: Path, w1: np.ndarray, b1: np.ndarray, w2: np.ndarray, b2: np.ndarray
) -> onnx.ModelProto:
    """The base model with the trained head: ``w1`` (H, C), ``b1`` (H,), ``w2`` (3, H), ``b2`` (3,) map a
    cell's features to a person logit and log width and height in model pixels."""
    model = onnx.load(str(base))
    graph = model.graph
    _cell_nodes(graph)
    channels = CELL_CHANNELS * (1 + len(CONTEXT))
    hidden = w1.shape[0]
    if w1.shape != (hidden, channels) or w2.shape != (3, hidden) or b1.shape != (hidden,) or b2.shape != (3,):
        raise ModelError(f"head shapes {w1.shape}, {w2.shape} do not fit {channels} feature channels")
    side = 128
    cells = side * side
    centres = (np.arange(side, dtype=np.float32) + 0.5) * STRIDE
    graph.initializer.extend(
        [
            *[
                _const(
                    f"head_w1_{i}",
                    w1[:, i * CELL_CHANNELS : (i + 1) * CELL_CHANNELS].astype(np.float32)[:, :, None, None],
                )
                for i in range(1 + len(CONTEXT))
            ],
            _const("head_b1", b1.astype(np.float32)),
            _const("head_w2", w2.astype(np.float32)[:, :, None, None]),
            _const("head_b2", b2.astype(np.float32)),
            _const("split_13", np.array([1, 2], np.int64)),
            _const("flat_cells", np.array([0, cells], np.int64)),
            _const("flat_sizes", np.array([0, 2, cells], np.int64)),
            _const("top_k", np.array([TOP_K], np.int64)),
            _const("side", np.array(side, np.int64)),
            _const("centres", centres),
            _const("half", np.array(0.5, np.float32)),
            _const("zeros_k", np.zeros((1, TOP_K, 1), np.float32)),
            _const("axis_2", np.array([2], np.int64)),
            _const("axis_1", np.array([1], np.int64)),
            _const("size_starts", np.array([0], np.int64)),
            _const("size_w_end", np.array([1], np.int64)),
            _const("size_h_end", np.array([2], np.int64)),
        ]
    )
    n = helper.make_node
    graph.node.extend(
        [
            # the first layer is linear and so is averaging: project each block first, then average the few
            # hidden channels instead of the many feature channels
            n("Conv", ["cell", "head_w1_0", "head_b1"], ["head_h0"]),
            *[n("Conv", ["cell", f"head_w1_{i + 1}"], [f"head_p{i + 1}"]) for i in range(len(CONTEXT))],
            *[_pool(f"head_p{i + 1}", k, f"head_h{i + 1}") for i, k in enumerate(CONTEXT)],
            n("Sum", [f"head_h{i}" for i in range(1 + len(CONTEXT))], ["head_h"]),
            n("Relu", ["head_h"], ["head_r"]),
            n("Conv", ["head_r", "head_w2", "head_b2"], ["head_out"]),
            n("Split", ["head_out", "split_13"], ["heat_logit", "log_size"], axis=1),
            n("Sigmoid", ["heat_logit"], ["heat"]),
            n("MaxPool", ["heat"], ["heat_max"], kernel_shape=[PEAK, PEAK], pads=[PEAK // 2] * 4),
            n("Equal", ["heat", "heat_max"], ["is_peak"]),
            n("Cast", ["is_peak"], ["peak_f"], to=TensorProto.FLOAT),
            n("Mul", ["heat", "peak_f"], ["peaks"]),
            n("Reshape", ["peaks", "flat_cells"], ["peaks_flat"]),
            n("TopK", ["peaks_flat", "top_k"], ["scores", "index"], axis=1),
            n("Div", ["index", "side"], ["row"]),
            n("Mod", ["index", "side"], ["col"]),
            n("Gather", ["centres", "row"], ["cy"]),
            n("Gather", ["centres", "col"], ["cx"]),
            n("Exp", ["log_size"], ["size"]),
            n("Reshape", ["size", "flat_sizes"], ["size_flat"]),
            n("Unsqueeze", ["index", "axis_1"], ["index_1"]),
            n("Concat", ["index_1", "index_1"], ["index_2"], axis=1),
            n("GatherElements", ["size_flat", "index_2"], ["wh"], axis=2),
            n("Slice", ["wh", "size_starts", "size_w_end", "axis_1"], ["w_1"]),
            n("Slice", ["wh", "size_w_end", "size_h_end", "axis_1"], ["h_1"]),
            n("Squeeze", ["w_1", "axis_1"], ["w"]),
            n("Squeeze", ["h_1", "axis_1"], ["h"]),
            n("Mul", ["w", "half"], ["hw"]),
            n("Mul", ["h", "half"], ["hh"]),
            n("Sub", ["cx", "hw"], ["x1"]),
            n("Sub", ["cy", "hh"], ["y1"]),
            n("Add", ["cx", "hw"], ["x2"]),
            n("Add", ["cy", "hh"], ["y2"]),
            *[n("Unsqueeze", [v, "axis_2"], [f"{v}_c"]) for v in ("x1", "y1", "x2", "y2", "scores")],
            n("Mul", ["scores_c", "zeros_k"], ["class_c"]),
            n("Concat", ["x1_c", "y1_c", "x2_c", "y2_c", "scores_c", "class_c"], [DETECTIONS], axis=2),
        ]
    )
    del graph.output[:]
    graph.output.append(helper.make_tensor_value_info(DETECTIONS, TensorProto.FLOAT, ["batch", TOP_K, 6]))
    _keep_only(graph, [DETECTIONS])
    onnx.checker.check_model(model)
    return model
