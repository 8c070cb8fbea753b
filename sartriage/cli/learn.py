"""``sartriage learn``: train a mission model from the mission's own decisions and score its waiting tiles."""

from __future__ import annotations

import argparse
from pathlib import Path

from sartriage.cli.commands import add_command
from sartriage.cli.status import add_db_argument
from sartriage.cli.train import RUNS, Bars, needs_training_extra
from sartriage.cli.values import count, share
from sartriage.store import open_store


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = add_command(
        subparsers,
        "learn",
        description="Train a mission model from the tiles the coordinator and volunteers decided (people "
        "confirmed, hits rejected, reviews finished), with whole frames held out to score it before and "
        "after, then score the tiles still waiting for volunteers with it and say what it would clear or "
        "flag. The mission is not changed: scan the next flights with --model OUT to use it. Needs `pip "
        "install -e .[train]`.",
    )
    add_db_argument(parser)
    parser.add_argument("--out", type=Path, required=True, help="the model to write, e.g. mission.onnx")
    parser.add_argument(
        "--run-dir", type=Path, help="tiles, cells and checkpoints (default: runs/<OUT stem>)"
    )
    parser.add_argument("--epochs", type=count, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--held-out", type=share, default=0.2, help="share of the reviewed frames kept out of training (0.2)"
    )
    parser.add_argument("--threads", type=count, help="CPU threads (default: all)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        from sartriage.train.mission import learn
    except ImportError as exc:
        raise needs_training_extra("learn", exc) from None
    with open_store(args.db, create=False) as store, Bars() as bars:
        learned = learn(
            store,
            args.out,
            args.run_dir or RUNS / args.out.stem,
            epochs=args.epochs,
            seed=args.seed,
            held_out=args.held_out,
            threads=args.threads,
            progress=bars.progress,
        )
    print("\n".join(learned.describe()))
    print(
        f"model written to {learned.model} with its card {learned.card.path}; scan the next flights with "
        f"--model {learned.model}"
    )
    return 0
