"""``sartriage doctor``: what this computer can do for a search, each problem with its fix."""

from __future__ import annotations

import argparse
from pathlib import Path

from sartriage.cli.commands import add_command
from sartriage.cli.values import positive
from sartriage.detect.session import DEVICES


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = add_command(
        subparsers,
        "doctor",
        description="Checks the inference devices (ONNX Runtime providers, GPU, CUDA and cuDNN libraries), "
        "whether the desktop app's Qt can open a window, disk space where the mission lives, the shipped "
        "models, and times the default model here. Exit status 1 when something needs fixing.",
    )
    parser.add_argument(
        "--db", type=Path, default=Path("mission.sqlite"), help="where the mission lives (for disk space)"
    )
    parser.add_argument("--image", type=Path, help="time the model on tiles of this photo")
    parser.add_argument("--seconds", type=positive, default=10.0, help="how long to time (default 10)")
    parser.add_argument("--device", default="auto", choices=tuple(DEVICES))
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sartriage.doctor import diagnose, report

    checks = diagnose(args.db, seconds=args.seconds, image=args.image, device=args.device)
    print(report(checks))
    return 0 if all(check.ok for check in checks) else 1
