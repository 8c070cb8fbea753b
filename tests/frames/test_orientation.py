from __future__ import annotations

import numpy as np
import pytest

from sartriage.frames import orientation

RAW_W, RAW_H = 5, 3


@pytest.mark.parametrize("value", range(1, 9))
def test_coordinates_round_trip(value: int) -> None:
    xs, ys = np.array([0.0, 1.5, 5.0, 2.25]), np.array([0.0, 2.5, 3.0, 1.0])
    dw, dh = orientation.displayed_size(RAW_W, RAW_H, value)
    # points inside the displayed frame land inside the stored one and come back unchanged
    dx, dy = xs * dw / 5.0, ys * dh / 3.0
    rx, ry = orientation.to_raw(dx, dy, value, RAW_W, RAW_H)
    assert np.all((rx >= 0) & (rx <= RAW_W) & (ry >= 0) & (ry <= RAW_H))
    bx, by = orientation.from_raw(rx, ry, value, RAW_W, RAW_H)
    np.testing.assert_allclose(bx, dx)
    np.testing.assert_allclose(by, dy)


@pytest.mark.parametrize("value", range(1, 9))
def test_pixels_follow_coordinates(value: int) -> None:
    raw = np.arange(RAW_W * RAW_H).reshape(RAW_H, RAW_W)
    shown = orientation.apply(raw, value)
    dw, dh = orientation.displayed_size(RAW_W, RAW_H, value)
    assert shown.shape == (dh, dw)
    for row in range(dh):
        for col in range(dw):
            rx, ry = orientation.to_raw(np.array([col + 0.5]), np.array([row + 0.5]), value, RAW_W, RAW_H)
            assert shown[row, col] == raw[int(ry[0]), int(rx[0])]
