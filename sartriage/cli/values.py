"""Argument types shared by the commands: a bad value is refused by argparse with one line."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None


def share(text: str) -> float:
    """A number from 0 to 1."""
    value = _number(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} must lie between 0 and 1")
    return value


def positive(text: str) -> float:
    """A number above 0."""
    value = _number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} must be above 0")
    return value


def count(text: str) -> int:
    """A whole number of at least 1 (threads, readers)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} must be at least 1")
    return value


def four_numbers(form: str, example: str) -> Callable[[str], tuple[float, float, float, float]]:
    """An argument type for four comma-separated numbers (a box), refused with its ``form`` and an
    ``example`` when it is not that."""

    def parse(text: str) -> tuple[float, float, float, float]:
        try:
            a, b, c, d = (float(v) for v in text.split(","))
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {form}, e.g. {example}") from None
        return a, b, c, d

    return parse
