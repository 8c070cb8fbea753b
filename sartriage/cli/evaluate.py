"""``sartriage eval``: how well a detector finds the labelled people in a folder of images."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from tqdm import tqdm

from sartriage.cli.commands import add_command
from sartriage.cli.values import count
from sartriage.detect import Detector, find_card
from sartriage.detect.card import ModelCard
from sartriage.detect.session import DEVICES
from sartriage.detect.tiling import MAX_SCALE, MIN_SCALE
from sartriage.errors import SartriageError
from sartriage.evaluate import FORMATS, Tally, TileTally, evaluate, read_labels
from sartriage.evaluate.labels import ImageLabels
from sartriage.frames import open_frame


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = add_command(
        subparsers,
        "eval",
        description="Run the detector over IMAGES_DIR and compare with the labels: a box finds a person when "
        "IoU >= 0.3 or its centre lies in the person's box. Prints the figures at the card's review and flag "
        "thresholds, then the triage line (share of people in a tile sent to review or flagged, on person "
        "or clue evidence, and tiles sent per image), and ends with `recall=R precision=P ap=A per_image=N` "
        "(person boxes only) at the review threshold.",
    )
    parser.add_argument("images", type=Path, metavar="IMAGES_DIR", help="folder of labelled images")
    parser.add_argument(
        "--labels", type=Path, required=True, help="YOLO txt folder, VOC xml folder or COCO json file"
    )
    parser.add_argument("--format", choices=FORMATS, help="label format (default: guessed from --labels)")
    parser.add_argument("--model", type=Path, help="ONNX model or its card (default: the shipped model)")
    parser.add_argument(
        "--threshold", type=float, help="score threshold (default: the card's review threshold)"
    )
    parser.add_argument(
        "--scale",
        type=float,
        help=f"model pixels per frame pixel for frames without altitude ({MIN_SCALE}-{MAX_SCALE}; "
        "default: the card's [scale] default)",
    )
    parser.add_argument("--device", default="auto", choices=tuple(DEVICES))
    parser.add_argument("--threads", type=count, help="CPU threads for inference (default: all)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    labelled = read_labels(args.images, args.labels, args.format)
    card = find_card(args.model)
    if args.scale is not None:
        if not MIN_SCALE <= args.scale <= MAX_SCALE:
            raise SartriageError(f"--scale {args.scale} is outside {MIN_SCALE}-{MAX_SCALE}")
        card = replace(card, scale=replace(card.scale, default=args.scale))
    return print_figures(card, labelled, args.threshold, args.device, args.threads)


def print_figures(
    card: ModelCard, labelled: list[ImageLabels], threshold: float | None, device: str, threads: int | None
) -> int:
    """Run ``card``'s model over ``labelled`` and print `sartriage eval`'s figures."""
    review = card.thresholds.review if threshold is None else threshold
    if not 0.0 <= review <= 1.0:
        raise SartriageError(f"--threshold {review} must lie between 0 and 1")
    detector = Detector.open(card, device=device, threads=threads)
    print(
        f"{card.name or card.file} on {detector.provider}: {len(labelled)} images, "
        f"{sum(len(item.boxes) for item in labelled)} people"
    )
    tally, tiles = Tally(), TileTally()
    with tqdm(total=len(labelled), unit="image", leave=False) as progress:
        for _ in evaluate(detector, labelled, open_frame, tally, tiles):
            progress.update()
    skipped = len(labelled) - tally.images
    if skipped:
        print(f"{skipped} images could not be read and are left out")
    ap = tally.average_precision()
    thresholds = {"review": review}
    if threshold is None:
        thresholds["flag"] = card.thresholds.flag
    for name, value in thresholds.items():
        scores = tally.at(value)
        found = f"found {scores.found}/{tally.labels}, {scores.boxes} boxes"
        print(f"{name} >= {value:.2f}: {found}, {scores.line()}")
    print(f"triage at review >= {review:.2f} (person or clue evidence): {tiles.at(review).line()}")
    final = tally.at(review)
    line = f"recall={final.recall:.3f} precision={final.precision:.3f} ap={ap:.3f}"
    print(f"{line} per_image={final.per_image:.2f}")
    return 0
