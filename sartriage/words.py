"""Counts in words for people: "1 frame", "2 frames", "1 quality check"."""

from __future__ import annotations


def count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"
