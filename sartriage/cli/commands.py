"""The sub-commands: which module defines each, and the line `sartriage --help` shows for it.

The table is read without importing any command module, so `--help` and `--version` start at once and a
command imports only what it needs."""

from __future__ import annotations

import argparse
from typing import Any

# name: (module in sartriage.cli, one-line summary), in the order `sartriage --help` lists them
COMMANDS: dict[str, tuple[str, str]] = {
    "scan": ("scan", "scan a folder of drone photos into a mission: every tile scored and triaged"),
    "retriage": ("retriage", "sort the stored tiles again at new thresholds (no detector run)"),
    "status": ("status", "what a mission holds: frames, tiles per triage state, detections, review progress"),
    "hits": ("hits", "list hit candidates, confirm or reject them, record what ground teams found"),
    "export": ("export", "write a mission's results for other tools (COCO, GeoJSON, CSV, ...)"),
    "model": ("model", "inspect ONNX detectors and draft their model cards"),
    "eval": ("evaluate", "score a detector against labelled images (recall, precision, AP, review load)"),
    "train": ("train", "fine-tune the shipped detector on YOLO/COCO folders into a new ONNX model and card"),
    "learn": ("learn", "train a mission model from the mission's decisions; score its waiting tiles with it"),
    "doctor": (
        "doctor",
        "what this computer can do for a search (GPU, libraries, app, disk, speed) and fixes",
    ),
    "info": ("info", "show a frame's metadata, camera, georeferencing and the ground position of a pixel"),
    "review-server": ("review", "serve the volunteer review page and API over a mission store"),
    "volunteers": ("review", "invite, list and revoke review volunteers"),
    "review": ("review", "the volunteer review queue: status, aggregation, honeypots"),
}


def add_command(subparsers: argparse._SubParsersAction, name: str, **kwargs: Any) -> argparse.ArgumentParser:
    """The parser of command ``name``, with its summary from the table above."""
    parser: argparse.ArgumentParser = subparsers.add_parser(name, help=COMMANDS[name][1], **kwargs)
    return parser
