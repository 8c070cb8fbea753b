"""``sartriage train``: fine-tune the shipped detector on labelled aerial images into a new model and card."""

from __future__ import annotations

import argparse
from pathlib import Path

from tqdm import tqdm

from sartriage.cli.commands import add_command
from sartriage.cli.evaluate import print_figures
from sartriage.cli.values import count
from sartriage.detect import find_card
from sartriage.errors import SartriageError
from sartriage.evaluate import FORMATS, read_labels

RUNS = Path("runs")  # checkpoints and cells, beside the working folder (ignored by git)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = add_command(
        subparsers,
        "train",
        description="Train a person head on the shipped CenterNet's frozen features from one or more YOLO "
        "folders (images/, labels/, optional split.txt, classes.txt, dontcare.txt: e.g. ../shared/data/train/"
        "hit_uav) or COCO folders (the output of `sartriage export --format training`), and write "
        "OUT.onnx with OUT.card.toml beside it: use it with --model like the default. Interrupted, the same "
        "command carries on from the last finished shard or epoch. Needs `pip install -e .[train]`.",
    )
    parser.add_argument("data", type=Path, nargs="+", metavar="FOLDER", help="YOLO or COCO training folders")
    parser.add_argument(
        "--out", type=Path, required=True, help="the model to write, e.g. sartriage/models/thermal.onnx"
    )
    parser.add_argument("--base", type=Path, help="the model to start from (default: the shipped model)")
    parser.add_argument(
        "--imagery", choices=("thermal", "rgb"), default="thermal", help="what the model is for"
    )
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--hard-negatives",
        type=int,
        default=1,
        metavar="ROUNDS",
        help="rounds of scanning the training images with the head and training on its false alarms (1)",
    )
    parser.add_argument(
        "--scale", type=float, default=2.0, help="model pixels per frame pixel for frames without a GSD (2)"
    )
    parser.add_argument(
        "--person-px", type=float, default=44.0, help="model pixels a 1.7 m person spans (44)"
    )
    parser.add_argument(
        "--exclude", action="append", default=[], metavar="PATTERN",
        help="leave out images whose file name matches (repeatable), e.g. '*_60_*' to hold an altitude out",
    )  # fmt: skip
    parser.add_argument("--run-dir", type=Path, help="cells and checkpoints (default: runs/<OUT stem>)")
    parser.add_argument("--eval", type=Path, metavar="IMAGES", help="labelled images scored before and after")
    parser.add_argument("--labels", type=Path, help="labels of --eval (YOLO folder, VOC folder, COCO json)")
    parser.add_argument("--format", choices=FORMATS, help="label format of --labels (default: guessed)")
    parser.add_argument("--threads", type=count, help="CPU threads (default: all)")
    parser.set_defaults(func=run)


class Bars:
    """A progress bar per training stage (cells, each epoch, validation), one on screen at a time."""

    def __init__(self) -> None:
        self.bars: dict[str, tqdm] = {}

    def progress(self, stage: str, done: int, total: int, note: str) -> None:
        bar = self.bars.get(stage)
        if bar is None:
            self.close()
            unit = "cell" if "epoch" in stage else "image"
            bar = self.bars[stage] = tqdm(total=total, desc=stage, unit=unit)
        bar.update(done - bar.n)
        if note:
            bar.set_postfix_str(note, refresh=False)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()
        self.bars.clear()

    def __enter__(self) -> Bars:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def needs_training_extra(command: str, exc: ImportError) -> SartriageError:
    return SartriageError(
        f"`sartriage {command}` needs the training extra ({exc.name} is missing): "
        "pip install -e '.[train]' in a checkout, or pip install 'sartriage[train]'"
    )


def run(args: argparse.Namespace) -> int:
    try:  # a field install leaves the training extra out; `sartriage --help` must still work there
        from sartriage.train.run import TrainOptions, train
    except ImportError as exc:
        raise needs_training_extra("train", exc) from None
    if args.epochs < 1:
        raise SartriageError("--epochs must be at least 1")
    if (args.eval is None) != (args.labels is None):
        raise SartriageError("--eval IMAGES and --labels L go together")
    labelled = read_labels(args.eval, args.labels, args.format) if args.eval else None
    if labelled is not None:
        print("before:")
        print_figures(find_card(args.base), labelled, None, "auto", args.threads)
    options = TrainOptions(
        data=tuple(args.data),
        out=args.out,
        run_dir=args.run_dir or RUNS / args.out.stem,
        base=args.base,
        epochs=args.epochs,
        seed=args.seed,
        hard_negative_rounds=args.hard_negatives,
        imagery=args.imagery,
        scale=args.scale,
        person_px=args.person_px,
        exclude=tuple(args.exclude),
        threads=args.threads,
    )
    with Bars() as bars:
        result = train(options, bars.progress)
    print(f"{result.cells} training cells, {result.seconds_per_epoch:.1f} s per epoch")
    if result.validation:
        v = result.validation
        print(
            f"validation ({v['images']} images, {v['persons']} people): ap={v['ap']:.3f} "
            f"recall={v['recall_at_review']:.3f} precision={v['precision_at_review']:.3f} at review "
            f">= {result.card.thresholds.review:.2f} (flag {result.card.thresholds.flag:.2f})"
        )
    print(f"model written to {result.model} with its card {result.card.path}")
    if labelled is not None:
        print("after:")
        print_figures(result.card, labelled, None, "auto", args.threads)
    return 0
