"""Model cards: the TOML file beside every ONNX model saying how to feed it and read its output."""

from __future__ import annotations

import hashlib
import logging
import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import tomli_w

from sartriage.errors import ModelError
from sartriage.models import RGB_PERSON, shipped

log = logging.getLogger(__name__)

IMAGERY = ("rgb", "thermal")  # kinds of imagery a card can declare itself fit for
FAMILIES = ("centernet", "yolov8", "yolo11", "yolov5", "yolox", "nanodet")
CARD_SUFFIX = ".card.toml"
CLUES_COMMENT = (
    "# clues: class ids that send a tile to volunteers (never flag it, never count as a person):\n"
    "# what a lost person leaves (e.g. COCO backpack 24, umbrella 25, handbag 26, suitcase 28) or what\n"
    "# this model calls a person seen from above (e.g. COCO skis 30, snowboard 31, kite 33, surfboard 37).\n"
    "# Check the ids against names; empty: persons only.\n"
)
DEFAULT_MODEL = shipped(RGB_PERSON)


@dataclass(frozen=True)
class InputSpec:
    name: str
    layout: str = "NCHW"  # NHWC | NCHW
    width: int = 640
    height: int = 640
    colour: str = "RGB"  # RGB | BGR
    scale: float = 1.0  # pixel values are multiplied by this
    mean: tuple[float, float, float] = (
        0.0,
        0.0,
        0.0,
    )  # subtracted after scaling, in the model's colour order
    std: tuple[float, float, float] = (1.0, 1.0, 1.0)
    resize: str = "letterbox"  # letterbox | stretch
    pad_value: int = 114
    pad_anchor: str = "center"  # center | top-left
    dynamic_batch: bool = False


@dataclass(frozen=True)
class OutputSpec:
    boxes: str = "pixels"  # pixels | normalised
    nms_inside: bool = False


@dataclass(frozen=True)
class Thresholds:
    review: float = 0.25  # score >= review: a volunteer looks
    flag: float = 0.6  # score >= flag: straight to the coordinator
    nms_iou: float = 0.5


@dataclass(frozen=True)
class ScaleSpec:
    person_px: float = 48.0  # model pixels a standing person spans when the model does best
    # model pixels per frame pixel when the frame's ground sample distance is unknown (1.0: native)
    default: float = 1.0
    overlap: float = 0.2  # fraction of a tile shared with its neighbour


@dataclass(frozen=True)
class ModelCard:
    path: Path  # of the card itself
    file: str
    family: str
    input: InputSpec
    person_ids: tuple[int, ...]
    sha256: str = ""
    clue_ids: tuple[int, ...] = ()  # classes that send a tile to review but are never persons
    name: str = ""
    provenance: str = ""
    licence: str = ""
    output: OutputSpec = field(default_factory=OutputSpec)
    class_names: tuple[str, ...] = ()
    thresholds: Thresholds = field(default_factory=Thresholds)
    scale: ScaleSpec = field(default_factory=ScaleSpec)
    weaknesses: str = ""
    # the kinds of imagery the model may clear tiles of (maybe none); tiles of others always reach review
    imagery: tuple[str, ...] = ("rgb",)
    training: dict[str, Any] = field(
        default_factory=dict
    )  # how a model trained by `sartriage train` was made

    def fit_for(self, kind: str) -> bool:
        return kind in self.imagery

    @property
    def model_path(self) -> Path:
        return (self.path.parent / self.file).resolve()

    @classmethod
    def load(cls, path: Path | str) -> ModelCard:
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ModelError(f"{path}: model card not found") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ModelError(f"{path}: cannot read the model card ({exc})") from None
        except tomllib.TOMLDecodeError as exc:
            raise ModelError(
                f"{path}: not valid TOML ({exc}); fix the card or redraft it with `sartriage model inspect`"
            ) from None
        return _from_dict(path, data)

    def verify(self) -> None:
        """Raise ModelError unless the model file exists and matches the card's sha256."""
        if not self.model_path.is_file():
            raise ModelError(f"{self.path}: its model file {self.model_path} does not exist")
        if not self.sha256:
            log.warning("%s: no sha256, the model file is not checked", self.path)
            return
        digest = sha256_of(self.model_path)
        if digest != self.sha256.lower():
            raise ModelError(
                f"{self.model_path}: sha256 {digest} does not match its card {self.path} ({self.sha256}); "
                "the model changed: put back the right file or update the card"
            )

    def with_thresholds(self, **values: float) -> ModelCard:
        return replace(self, thresholds=replace(self.thresholds, **values))

    def to_dict(self) -> dict[str, Any]:
        model = {
            "file": self.file,
            "sha256": self.sha256,
            "family": self.family,
            "name": self.name,
            "provenance": self.provenance,
            "licence": self.licence,
        }
        inp = asdict(self.input)
        inp["mean"], inp["std"] = list(self.input.mean), list(self.input.std)
        classes: dict[str, Any] = {"person": list(self.person_ids), "clues": list(self.clue_ids)}
        if self.class_names:
            classes["names"] = list(self.class_names)
        return {
            "model": model,
            "input": inp,
            "output": asdict(self.output),
            "classes": classes,
            "thresholds": asdict(self.thresholds),
            "scale": asdict(self.scale),
            "imagery": {"fit": list(self.imagery)},
            "notes": {"weaknesses": self.weaknesses},
            **({"training": self.training} if self.training else {}),
        }

    def write(self, path: Path | str | None = None) -> Path:
        target = Path(path) if path is not None else self.path
        try:
            text = tomli_w.dumps(self.to_dict()).replace("\nclues = ", "\n" + CLUES_COMMENT + "clues = ", 1)
            target.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise ModelError(f"{target}: cannot write the model card ({exc})") from None
        return target


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def card_path_for(model: Path) -> Path:
    return model.with_name(model.stem + CARD_SUFFIX)


def find_card(model_or_card: Path | str | None = None) -> ModelCard:
    """The verified card for a model file, a card file, or (None) the default model."""
    path = Path(model_or_card) if model_or_card is not None else DEFAULT_MODEL
    if path.name.endswith(CARD_SUFFIX) or path.suffix == ".toml":
        card = ModelCard.load(path)
    else:
        if not path.exists():
            raise ModelError(f"{path}: model file not found")
        card_path = card_path_for(path)
        if not card_path.exists():
            raise ModelError(
                f"{path}: no model card ({card_path.name}) beside it; draft one with "
                f"`sartriage model inspect {path}`, check it, then try again"
            )
        card = ModelCard.load(card_path)
        if card.model_path != path.resolve():
            raise ModelError(f"{card_path}: describes {card.file}, not {path.name}; fix [model] file")
    card.verify()
    return card


def _section(path: Path, data: Mapping[str, Any], name: str, known: type | None) -> dict[str, Any]:
    section = data.get(name, {})
    if not isinstance(section, dict):
        raise ModelError(f"{path}: [{name}] must be a table")
    if known is not None:
        allowed = {f.name for f in fields(known)}
        unknown = set(section) - allowed
        if unknown:
            log.warning("%s: [%s] ignores unknown keys %s", path, name, ", ".join(sorted(unknown)))
        section = {k: v for k, v in section.items() if k in allowed}
    return section


def _choice(path: Path, where: str, value: Any, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ModelError(f"{path}: {where} = {value!r}, expected one of {', '.join(choices)}")
    return str(value)


def _number(path: Path, where: str, value: Any, low: float | None = None, high: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ModelError(f"{path}: {where} must be a number, got {value!r}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ModelError(f"{path}: {where} = {value} is outside [{low}, {high}]")
    return float(value)


def _triple(path: Path, where: str, value: Any) -> tuple[float, float, float]:
    if not isinstance(value, list) or len(value) != 3:
        raise ModelError(f"{path}: {where} must be a list of three numbers, got {value!r}")
    a, b, c = (_number(path, where, v) for v in value)
    return a, b, c


def _from_dict(path: Path, data: Mapping[str, Any]) -> ModelCard:
    model = _section(path, data, "model", None)
    for key in ("file", "family"):
        if not isinstance(model.get(key), str) or not model[key]:
            raise ModelError(f"{path}: [model] {key} is missing")
    family = _choice(path, "[model] family", model["family"], FAMILIES)

    raw_in = _section(path, data, "input", InputSpec)
    if not isinstance(raw_in.get("name"), str):
        raise ModelError(f"{path}: [input] name (the ONNX input tensor) is missing")
    for key in ("width", "height"):
        if not isinstance(raw_in.get(key), int) or raw_in[key] <= 0:
            raise ModelError(f"{path}: [input] {key} must be a positive whole number of pixels")
    inp = InputSpec(
        name=raw_in["name"],
        layout=_choice(path, "[input] layout", raw_in.get("layout", "NCHW"), ("NCHW", "NHWC")),
        width=raw_in["width"],
        height=raw_in["height"],
        colour=_choice(path, "[input] colour", raw_in.get("colour", "RGB"), ("RGB", "BGR")),
        scale=_number(path, "[input] scale", raw_in.get("scale", 1.0), 0.0),
        mean=_triple(path, "[input] mean", raw_in.get("mean", [0.0, 0.0, 0.0])),
        std=_triple(path, "[input] std", raw_in.get("std", [1.0, 1.0, 1.0])),
        resize=_choice(path, "[input] resize", raw_in.get("resize", "letterbox"), ("letterbox", "stretch")),
        pad_value=int(_number(path, "[input] pad_value", raw_in.get("pad_value", 114), 0, 255)),
        pad_anchor=_choice(
            path, "[input] pad_anchor", raw_in.get("pad_anchor", "center"), ("center", "top-left")
        ),
        dynamic_batch=bool(raw_in.get("dynamic_batch", False)),
    )
    if 0.0 in inp.std:
        raise ModelError(f"{path}: [input] std must not contain 0")

    raw_out = _section(path, data, "output", OutputSpec)
    output = OutputSpec(
        boxes=_choice(path, "[output] boxes", raw_out.get("boxes", "pixels"), ("pixels", "normalised")),
        nms_inside=bool(raw_out.get("nms_inside", family == "centernet")),
    )

    classes = _section(path, data, "classes", None)
    person = classes.get("person")
    if not isinstance(person, list) or not person or not all(isinstance(i, int) and i >= 0 for i in person):
        raise ModelError(f"{path}: [classes] person must list the class ids that mean a person, e.g. [0]")
    names = classes.get("names", [])
    clues = classes.get("clues", [])
    if not isinstance(clues, list) or not all(isinstance(i, int) and i >= 0 for i in clues):
        raise ModelError(f"{path}: [classes] clues must list class ids, e.g. [24, 33], or be left out")
    if set(clues) & set(person):
        raise ModelError(f"{path}: [classes] clues {sorted(set(clues) & set(person))} are also person ids")
    if isinstance(names, list) and names and max(clues, default=-1) >= len(names):
        raise ModelError(f"{path}: [classes] clues {clues} name a class beyond the {len(names)} names")

    raw_thr = _section(path, data, "thresholds", Thresholds)
    thresholds = Thresholds(
        **{k: _number(path, f"[thresholds] {k}", v, 0.0, 1.0) for k, v in raw_thr.items()}
    )
    if thresholds.flag < thresholds.review:
        raise ModelError(
            f"{path}: [thresholds] flag ({thresholds.flag}) is below review ({thresholds.review})"
        )

    raw_scale = _section(path, data, "scale", ScaleSpec)
    scale = ScaleSpec(
        person_px=_number(path, "[scale] person_px", raw_scale.get("person_px", 48.0), 4.0, 1024.0),
        default=_number(path, "[scale] default", raw_scale.get("default", 1.0), 0.25, 4.0),
        overlap=_number(path, "[scale] overlap", raw_scale.get("overlap", 0.2), 0.0, 0.9),
    )
    notes = _section(path, data, "notes", None)
    fit = _section(path, data, "imagery", None).get("fit", ["rgb"])
    if not isinstance(fit, list) or any(kind not in IMAGERY for kind in fit):
        raise ModelError(
            f"{path}: [imagery] fit = {fit!r}; list what the model may clear: {', '.join(IMAGERY)} "
            "(or [] for none)"
        )
    return ModelCard(
        path=path.resolve(),
        file=model["file"],
        family=family,
        input=inp,
        person_ids=tuple(person),
        clue_ids=tuple(clues),
        sha256=str(model.get("sha256", "")),
        name=str(model.get("name", "")),
        provenance=str(model.get("provenance", "")),
        licence=str(model.get("licence", "")),
        output=output,
        class_names=tuple(str(n) for n in names),
        thresholds=thresholds,
        scale=scale,
        weaknesses=str(notes.get("weaknesses", "")),
        imagery=tuple(fit),
        training=dict(_section(path, data, "training", None)),
    )
