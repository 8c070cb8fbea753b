"""A rectangle of frame pixels."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Window:
    """``w`` x ``h`` pixels whose top-left pixel is column ``x``, row ``y`` of the displayed frame."""

    x: int
    y: int
    w: int
    h: int

    def __post_init__(self) -> None:
        if self.w <= 0 or self.h <= 0:
            raise ValueError(f"window {self} is empty: width and height must be positive")
        if self.x < 0 or self.y < 0:
            raise ValueError(f"window {self} starts outside the frame: x and y must be >= 0")

    def fits(self, width: int, height: int) -> bool:
        return self.x + self.w <= width and self.y + self.h <= height
