"""Convert the default person model (CenterNet MobileNetV3, COCO) from TensorFlow.js to ONNX.

Source: the npm package ``@vladmandic/human@3.3.6`` (MIT), files ``package/models/centernet.json`` and
``package/models/centernet.bin``: a TensorFlow.js graph model converted by vladmandic from
https://github.com/610265158/mobilenetv3_centernet (that repository states no licence).

This is a maintainer tool, run once; TensorFlow is never a dependency of sartriage. Use a separate venv
outside the repository with exactly these versions (other versions may give a different file):

    python 3.11, tensorflow-cpu==2.21.0, tf2onnx==1.17.0, onnx==1.23.2, numpy==2.4.6, protobuf==7.36.2,
    onnxruntime==1.32.0 (only for --verify)

    python3 -m venv ../tfvenv
    ../tfvenv/bin/pip install tensorflow-cpu==2.21.0 tf2onnx==1.17.0 onnx==1.23.2 numpy==2.4.6 \
        protobuf==7.36.2 onnxruntime==1.32.0

The one command (after ``npm pack @vladmandic/human@3.3.6`` in a scratch folder outside the repository):

    ../tfvenv/bin/python tools/convert_centernet.py /path/to/vladmandic-human-3.3.6.tgz

It writes ``sartriage/models/centernet_mobilenetv3_512.onnx`` (override with ``--output``), prints its
sha256 and whether it matches the sha256 in ``sartriage/models/centernet_mobilenetv3_512.card.toml``. The
same inputs and versions give a byte-identical file. ``--verify IMAGE[@X,Y] ...`` then compares the ONNX
model with the original graph run by TensorFlow itself (fused ops unfused into stock TF ops, batch 1) on
512x512 crops of the images (centred on pixel X,Y when given), checks batch 4 against four batch-1 runs,
and prints the person detections per crop.

What the conversion changes, and why (all in memory; the package files are checked by sha256):

1. ``numpy.product`` (removed in numpy 2) is aliased to ``numpy.prod``: tf2onnx 1.17 still calls it
   when it reads tfjs weights.
2. ``_FusedConv2D`` nodes get the ``TArgs`` attribute (one ``T`` per extra argument) that TensorFlow
   2.21's op registry requires; tfjs graphs omit it, and tf2onnx imports each node into TensorFlow to
   infer its output shapes.
3. Attributes with a default in TensorFlow's op registry that the tfjs graph leaves out (for example
   ``TopKV2.index_type``) are filled with those defaults: tf2onnx reads output dtypes from them.
4. Dynamic batch: the tfjs export froze batch 1 into the decoding tail (``Reshape`` to ``[1, -1]``
   before ``TopKV2`` and a flattened ``BatchGather`` over ``[16384, 4]``). The input placeholder gets
   batch -1, the score reshape becomes ``[-1, 128*128*80]``, and the box-size gather becomes a
   ``GatherV2`` with ``batch_dims=1`` over ``[-1, 16384, 4]``. The arithmetic is unchanged for batch 1.
5. tf2onnx's optimizers iterate over sets of graph nodes, which Python orders by memory address, so two
   runs gave different (equivalent) graphs. Nodes get a hash from their creation order instead, and the
   script re-runs itself with ``PYTHONHASHSEED=0`` so sets of names are ordered the same way every time.
6. The ONNX graph keeps the outputs ``tower_0/detections`` and ``tower_0/keypoints`` (the size-map
   output ``tower_0/wh`` is dropped; it is only an input of the decoding), names the batch dimension
   ``batch`` and records the source package and file hashes in the model's metadata.

Model: input ``tower_0/images:0`` [batch, 512, 512, 3] float32 RGB 0..255 (NHWC); outputs
``tower_0/detections`` [batch, 100, 6] = x1, y1, x2, y2 (input pixels), score, class (COCO, 0 = person),
the 100 best 3x3 peaks of the class heat maps (CenterNet's max-pool suppression: no IoU NMS), and
``tower_0/keypoints`` [batch, 128, 128, 80], the per-class heat maps (output stride 4).
"""

from __future__ import annotations

import argparse
import base64
import copy
import hashlib
import itertools
import json
import logging
import os
import sys
import tarfile
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

LOG = logging.getLogger("convert_centernet")

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = REPO / "sartriage" / "models" / "centernet_mobilenetv3_512.onnx"
PACKAGE = "@vladmandic/human@3.3.6"
MEMBER_JSON = "package/models/centernet.json"
MEMBER_BIN = "package/models/centernet.bin"
SOURCE_SHA256 = {
    MEMBER_JSON: "bfb942eaacc5becf738d536663bc4580a0ae9e560722306e6d4dd7fe4a09de05",
    MEMBER_BIN: "1b635a15009071f506f9f2b3519b31c072c534888989f30d269ffd44734ef7ef",
}
PINNED = {
    "tensorflow": "2.21.0",
    "tf2onnx": "1.17.0",
    "onnx": "1.23.2",
    "numpy": "2.4.6",
    "google.protobuf": "7.36.2",
}
OPSET = 17
INPUT = "tower_0/images"
OUTPUTS = ("tower_0/detections", "tower_0/keypoints")
SIZE = 512
STRIDE = 4
GRID = SIZE // STRIDE
NUM_CLASSES = 80
TOP_K = 100

# Constants of the decoding tail that froze batch 1, with their batch-generic replacements.
BATCH_CONSTANTS = {
    "tower_0/Reshape/shape": [-1, GRID * GRID * NUM_CLASSES],
    "tower_0/BatchGather/concat": [-1, GRID * GRID, 4],
    "tower_0/BatchGather/Reshape_1/shape": [-1, TOP_K],
    "tower_0/BatchGather/concat_1": [-1, TOP_K, 4],
}
# tf2onnx renames tfjs' FusedDepthwiseConv2dNative to TensorFlow's internal op of this name.
TF_OP_NAMES = {"FusedDepthwiseConv2dNative": "_FusedDepthwiseConv2dNative"}
BATCH_GATHER = "tower_0/BatchGather/GatherV2"
BATCH_GATHER_AXIS = "tower_0/BatchGather/GatherV2/axis"


@dataclass
class TfjsModel:
    """A tfjs graph model in memory: the parsed model.json and each weight's raw bytes, in manifest order."""

    model: dict
    weights: list[tuple[dict, bytes]]

    @classmethod
    def from_package(cls, tgz: Path) -> TfjsModel:
        raw = {}
        try:
            with tarfile.open(tgz, "r:gz") as tar:
                for member in (MEMBER_JSON, MEMBER_BIN):
                    handle = tar.extractfile(member)
                    if handle is None:
                        raise KeyError(f"{member} is not a file")
                    raw[member] = handle.read()
        except (OSError, tarfile.TarError, KeyError) as exc:
            raise SystemExit(
                f"{tgz}: cannot read the model files ({exc}); pass the tarball of `npm pack {PACKAGE}`"
            ) from None
        for member, data in raw.items():
            digest = hashlib.sha256(data).hexdigest()
            if digest != SOURCE_SHA256[member]:
                raise SystemExit(f"{tgz}: {member} has sha256 {digest}, expected {SOURCE_SHA256[member]}")
        model = json.loads(raw[MEMBER_JSON])
        manifest = model["weightsManifest"]
        if len(manifest) != 1:
            raise SystemExit(f"{tgz}: expected one weights group, found {len(manifest)}")
        data = raw[MEMBER_BIN]
        weights, offset = [], 0
        for spec in manifest[0]["weights"]:
            dtype = np.dtype(spec.get("quantization", {}).get("dtype", spec["dtype"]))
            size = int(np.prod(spec["shape"], dtype=np.int64)) * dtype.itemsize
            weights.append((spec, data[offset : offset + size]))
            offset += size
        if offset != len(data):
            raise SystemExit(f"{tgz}: weights manifest covers {offset} bytes of {len(data)}")
        return cls(model, weights)

    @property
    def nodes(self) -> list[dict]:
        return self.model["modelTopology"]["node"]

    def node(self, name: str) -> dict:
        return next(n for n in self.nodes if n["name"] == name)

    def array(self, name: str) -> np.ndarray:
        """A weight as float32/int32 numpy array (float16-quantised weights are widened as tfjs does)."""
        spec, data = next((s, d) for s, d in self.weights if s["name"] == name)
        quant = spec.get("quantization")
        if quant is not None and quant["dtype"] != "float16":
            raise SystemExit(f"weight {name}: quantisation {quant['dtype']} is not handled")
        stored = np.frombuffer(data, np.dtype(quant["dtype"] if quant else spec["dtype"]))
        return stored.astype(np.dtype(spec["dtype"])).reshape(spec["shape"])

    def set_int_constant(self, name: str, values: int | list[int]) -> None:
        array = np.asarray(values, dtype=np.int32)
        for i, (spec, _) in enumerate(self.weights):
            if spec["name"] == name:
                if spec["dtype"] != "int32" or "quantization" in spec:
                    raise SystemExit(f"constant {name} is not a plain int32 weight")
                self.weights[i] = ({**spec, "shape": list(array.shape)}, array.astype("<i4").tobytes())
                break
        else:
            raise SystemExit(f"no constant {name} in the graph")
        tensor = self.node(name)["attr"]["value"]["tensor"]
        tensor["tensorShape"] = {"dim": [{"size": str(n)} for n in array.shape]}

    def write(self, folder: Path) -> Path:
        """Writes model.json + one weights shard, the layout tf2onnx --tfjs reads."""
        model = copy.deepcopy(self.model)
        model["weightsManifest"] = [
            {"paths": ["weights.bin"], "weights": [spec for spec, _ in self.weights]},
        ]
        (folder / "weights.bin").write_bytes(b"".join(data for _, data in self.weights))
        path = folder / "model.json"
        path.write_text(json.dumps(model), encoding="utf-8")
        return path


def check_versions() -> None:
    import importlib

    for module, wanted in PINNED.items():
        found = getattr(importlib.import_module(module), "__version__", "?")
        if found != wanted:
            LOG.warning("%s %s here, pinned %s: the output may differ", module, found, wanted)


def attr_json(value: object) -> dict:
    """A TensorFlow AttrValue proto as the JSON dict a tfjs model.json holds."""
    from google.protobuf.json_format import MessageToDict

    return MessageToDict(value)


def fill_registry_attrs(tfjs: TfjsModel) -> int:
    """Patches 2 and 3: adds TArgs to _FusedConv2D and fills attributes TensorFlow's registry defaults."""
    from tensorflow.core.framework import attr_value_pb2
    from tensorflow.python.framework import op_def_registry

    filled = 0
    for node in tfjs.nodes:
        op = node["op"]
        op_def = op_def_registry.get(TF_OP_NAMES.get(op, op))
        if op_def is None:
            raise SystemExit(f"node {node['name']}: TensorFlow has no op {op}")
        attrs = node.setdefault("attr", {})
        if op == "_FusedConv2D" and "TArgs" not in attrs:
            dtype = attrs["T"]["type"]
            attrs["TArgs"] = {"list": {"type": [dtype] * int(attrs["num_args"]["i"])}}
            filled += 1
        for attr in op_def.attr:
            if attr.name not in attrs and attr.HasField("default_value"):
                default = attr_value_pb2.AttrValue()
                default.CopyFrom(attr.default_value)
                attrs[attr.name] = attr_json(default)
                filled += 1
    return filled


def make_batch_dynamic(tfjs: TfjsModel) -> None:
    """Patch 4: batch -1 on the input and a batch-generic decoding tail."""
    placeholder = tfjs.node(INPUT)
    placeholder["attr"]["shape"]["shape"]["dim"][0]["size"] = "-1"
    for name, values in BATCH_CONSTANTS.items():
        tfjs.set_int_constant(name, values)
    tfjs.set_int_constant(BATCH_GATHER_AXIS, 1)
    tfjs.node(BATCH_GATHER)["attr"]["batch_dims"] = {"i": "1"}


def hash_nodes_by_creation_order() -> None:
    """Patch 5: deterministic iteration over sets of tf2onnx graph nodes."""
    from tf2onnx import graph as tf2onnx_graph

    counter = itertools.count()
    original_init = tf2onnx_graph.Node.__init__

    def init(self: object, *args: object, **kwargs: object) -> None:
        self._creation = next(counter)  # type: ignore[attr-defined]
        original_init(self, *args, **kwargs)

    tf2onnx_graph.Node.__init__ = init
    tf2onnx_graph.Node.__hash__ = lambda self: self._creation


def convert(tfjs: TfjsModel, output: Path) -> None:
    if not hasattr(np, "product"):
        np.product = np.prod  # type: ignore[attr-defined]  # patch 1
    import onnx
    from tf2onnx.convert import _convert_common

    check_versions()
    hash_nodes_by_creation_order()
    filled = fill_registry_attrs(tfjs)
    LOG.info("filled %d attributes from TensorFlow's op registry", filled)
    make_batch_dynamic(tfjs)
    with tempfile.TemporaryDirectory() as tmp:
        model_json = tfjs.write(Path(tmp))
        proto, _ = _convert_common(None, name=PACKAGE, opset=OPSET, tfjs_path=str(model_json))
    finish(proto)
    onnx.checker.check_model(proto, full_check=True)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(proto.SerializeToString())


def finish(proto: object) -> None:
    """Patch 6: outputs, batch dimension name and provenance metadata."""
    graph = proto.graph  # type: ignore[attr-defined]
    names = [o.name for o in graph.input] + [o.name for o in graph.output]
    if f"{INPUT}:0" not in names or any(o not in names for o in OUTPUTS):
        raise SystemExit(f"unexpected tensor names after conversion: {names}")
    keep = [o for o in graph.output if o.name in OUTPUTS]
    del graph.output[:]
    graph.output.extend(sorted(keep, key=lambda o: OUTPUTS.index(o.name)))
    for value in [*graph.input, *graph.output]:
        dim = value.type.tensor_type.shape.dim[0]
        dim.Clear()
        dim.dim_param = "batch"
    doc = f"CenterNet MobileNetV3 512 (COCO) from {PACKAGE}, converted by tools/convert_centernet.py"
    proto.doc_string = doc  # type: ignore[attr-defined]
    meta = {
        "source": f"npm {PACKAGE} {MEMBER_JSON} + {MEMBER_BIN}",
        "source_sha256": ", ".join(f"{Path(m).name}={h}" for m, h in SOURCE_SHA256.items()),
        "upstream": "https://github.com/610265158/mobilenetv3_centernet",
        "converter": "tools/convert_centernet.py (tf2onnx --tfjs, opset 17)",
    }
    del proto.metadata_props[:]  # type: ignore[attr-defined]
    for key, value in meta.items():
        entry = proto.metadata_props.add()  # type: ignore[attr-defined]
        entry.key, entry.value = key, value


CARD = DEFAULT_OUTPUT.with_name(f"{DEFAULT_OUTPUT.stem}.card.toml")


def card_sha256() -> str | None:
    """The sha256 recorded in the committed card of the default model (None without a card)."""
    if not CARD.exists():
        return None
    return tomllib.loads(CARD.read_text(encoding="utf-8"))["model"]["sha256"]


# ---------------------------------------------------------------- verification (TensorFlow as reference)


def reference_graph_def(tfjs: TfjsModel) -> object:
    """The original batch-1 graph as a TensorFlow GraphDef with the tfjs-only fused ops spelt out."""
    from google.protobuf.json_format import ParseDict
    from tensorflow.core.framework import graph_pb2, node_def_pb2
    from tensorflow.python.framework import tensor_util

    graph = graph_pb2.GraphDef()
    for node in tfjs.nodes:
        if node["op"] == "Const":
            const = graph.node.add(name=node["name"], op="Const")
            value = tfjs.array(node["name"])
            const.attr["dtype"].type = tensor_util.make_tensor_proto(value).dtype
            const.attr["value"].tensor.CopyFrom(tensor_util.make_tensor_proto(value))
            continue
        if node["op"] not in ("_FusedConv2D", "FusedDepthwiseConv2dNative"):
            graph.node.append(ParseDict(node, node_def_pb2.NodeDef()))
            continue
        attrs = node["attr"]
        fused = [base64.b64decode(s).decode() for s in attrs["fused_ops"]["list"]["s"]]
        if fused not in (["BiasAdd"], ["BiasAdd", "Relu"]):
            raise SystemExit(f"node {node['name']}: fused ops {fused} not handled")
        conv_op = "Conv2D" if node["op"] == "_FusedConv2D" else "DepthwiseConv2dNative"
        keep = ("T", "strides", "padding", "data_format", "dilations")
        conv = {k: v for k, v in attrs.items() if k in keep}
        if conv_op == "Conv2D":
            conv["use_cudnn_on_gpu"] = {"b": False}
        x, w, b = node["input"][:3]
        name = node["name"]
        steps = [(f"{name}/conv", conv_op, [x, w], conv), (f"{name}/bias", "BiasAdd", [b], {})]
        if "Relu" in fused:
            steps.append((f"{name}/relu", "Relu", [], {}))
        previous = None
        for i, (step, op, inputs, extra) in enumerate(steps):
            step = name if i == len(steps) - 1 else step
            inputs = inputs if previous is None else [previous, *inputs]
            spec = {"name": step, "op": op, "input": inputs, "attr": {"T": attrs["T"], **extra}}
            graph.node.append(ParseDict(spec, node_def_pb2.NodeDef()))
            previous = step
    return graph


def load_crop(spec: str) -> tuple[str, np.ndarray]:
    """IMAGE[@X,Y] -> a 512x512x3 float32 RGB crop (centred on X,Y; smaller images are padded with 114)."""
    import tensorflow as tf

    path, _, centre = spec.partition("@")
    image = tf.io.decode_image(Path(path).read_bytes(), channels=3, expand_animations=False).numpy()
    h, w = image.shape[:2]
    cx, cy = (int(v) for v in centre.split(",")) if centre else (w // 2, h // 2)
    x0 = min(max(cx - SIZE // 2, 0), max(w - SIZE, 0))
    y0 = min(max(cy - SIZE // 2, 0), max(h - SIZE, 0))
    crop = image[y0 : y0 + SIZE, x0 : x0 + SIZE]
    canvas = np.full((SIZE, SIZE, 3), 114, np.uint8)
    top, left = (SIZE - crop.shape[0]) // 2, (SIZE - crop.shape[1]) // 2
    canvas[top : top + crop.shape[0], left : left + crop.shape[1]] = crop
    return f"{Path(path).name} crop x={x0 - left} y={y0 - top}", canvas.astype(np.float32)


def compare_detections(reference: np.ndarray, converted: np.ndarray) -> tuple[float, float, int]:
    """Max score and box differences of the converted rows scoring >= 0.05 against the reference row of
    the same class with the nearest box (near-equal scores may swap places in the top 100)."""
    score = box = 0.0
    missing = 0
    for row in converted[converted[:, 4] >= 0.05]:
        same = reference[reference[:, 5] == row[5]]
        if len(same) == 0:
            missing += 1
            continue
        distance = np.abs(same[:, :4] - row[:4]).max(axis=1)
        twin = same[distance.argmin()]
        if distance.min() > 1.0:
            missing += 1
            continue
        score = max(score, float(abs(twin[4] - row[4])))
        box = max(box, float(distance.min()))
    return score, box, missing


def verify(tgz: Path, output: Path, specs: list[str]) -> None:
    import onnxruntime as ort
    import tensorflow as tf

    crops = [load_crop(s) for s in specs]
    while len(crops) < 4:  # batch check wants four different images
        label, pixels = crops[len(crops) % len(specs)]
        crops.append((f"{label} flipped", pixels[:, ::-1].copy()))
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(str(output), options, providers=["CPUExecutionProvider"])
    shapes = {i.name: i.shape for i in [*session.get_inputs(), *session.get_outputs()]}
    print(f"onnx shapes: {shapes}")
    out_names = list(OUTPUTS)
    singles = [session.run(out_names, {f"{INPUT}:0": px[None]}) for _, px in crops]
    batch = session.run(out_names, {f"{INPUT}:0": np.stack([px for _, px in crops])})
    for k, name in enumerate(out_names):
        diff = max(float(np.abs(batch[k][i] - s[k][0]).max()) for i, s in enumerate(singles))
        print(f"batch 4 vs 4 x batch 1, {name}: max abs diff {diff:.3g}")

    graph = reference_graph_def(TfjsModel.from_package(tgz))
    with tf.Graph().as_default() as g:
        tf.graph_util.import_graph_def(graph, name="")
        with tf.compat.v1.Session(graph=g) as sess:
            for (label, pixels), single in zip(crops[: len(specs)], singles, strict=False):
                ref = sess.run([f"{n}:0" for n in out_names], {f"{INPUT}:0": pixels[None]})
                heat = float(np.abs(ref[1] - single[1]).max())
                score, box, missing = compare_detections(ref[0][0], single[0][0])
                print(
                    f"{label}: vs TensorFlow max abs diff keypoints {heat:.3g}; detections >= 0.05: "
                    f"score {score:.3g}, box {box:.3g} px, {missing} without a TensorFlow twin"
                )
                det = single[0][0]
                people = det[(det[:, 5] == 0) & (det[:, 4] >= 0.1)]
                for x1, y1, x2, y2, score, _ in people:
                    print(f"    person {score:.3f} box x1={x1:.0f} y1={y1:.0f} x2={x2:.0f} y2={y2:.0f}")
                if len(people) == 0:
                    print("    no person >= 0.1")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("package", type=Path, help="vladmandic-human-3.3.6.tgz from `npm pack`")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--verify", nargs="+", metavar="IMAGE[@X,Y]", help="compare with TensorFlow on crops")
    args = parser.parse_args(argv)
    if os.environ.get("PYTHONHASHSEED") != "0":  # patch 5: same set order for names on every run
        os.environ["PYTHONHASHSEED"] = "0"
        os.execv(sys.executable, [sys.executable, *sys.argv])
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # The reference runs TensorFlow's plain kernels: its oneDNN ones differ from them by up to 1e-3.
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    convert(TfjsModel.from_package(args.package), args.output)
    digest = hashlib.sha256(args.output.read_bytes()).hexdigest()
    print(f"wrote {args.output} ({args.output.stat().st_size} bytes) sha256 {digest}")
    expected = card_sha256()
    if expected is not None:
        verdict = "matches" if expected == digest else f"DIFFERS from the sha256 {expected} in"
        print(f"{verdict} {CARD.relative_to(REPO)}")
    if args.verify:
        verify(args.package, args.output, args.verify)
    return 0


if __name__ == "__main__":
    sys.exit(main())
