"""``sartriage model``: look at ONNX detectors and draft their model cards."""

from __future__ import annotations

import argparse
from pathlib import Path

from sartriage.cli.commands import add_command
from sartriage.detect.inspect import draft_card, guessed


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = add_command(subparsers, "model")
    actions = parser.add_subparsers(dest="model_command", metavar="ACTION", required=True)
    inspect = actions.add_parser(
        "inspect",
        help="recognise a detector's family from its graph and write a draft card beside it",
        description="Recognise the detector family (centernet, yolov8, yolo11, yolov5, yolox, nanodet) from "
        "the ONNX graph and write a draft model card. Check colour order, normalisation and person "
        "class ids, then measure it with `sartriage eval` before use.",
    )
    inspect.add_argument("model", type=Path, metavar="FILE.onnx", help="the ONNX detector")
    inspect.add_argument(
        "--out", type=Path, help="where to write the card (default: <model>.card.toml beside it)"
    )
    inspect.set_defaults(func=run_inspect)


def run_inspect(args: argparse.Namespace) -> int:
    card = draft_card(args.model, args.out)
    print(guessed(card))
    print(f"draft card written to {card.path}; check it, then run `sartriage eval` with --model {args.model}")
    return 0
