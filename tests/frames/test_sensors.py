from __future__ import annotations

import pytest

from sartriage.frames import sensors


@pytest.mark.parametrize(
    ("model", "width", "expected_mm", "description"),
    [
        ("FC220", 4000, 6.17, "Mavic Pro"),
        ("fc6310r", 5472, 13.2, "Phantom 4 RTK"),
        ("FC7303", None, 6.17, "Mavic Mini"),
        ("FC3582", 4032, 9.7, "Mini 3 Pro"),
        ("XT2", 640, 10.88, "XT2"),
        ("ZH20T", 640, 7.68, "thermal"),
        ("ZH20T", 4056, 6.17, "wide"),
        ("ZH20T", 5184, 7.53, "zoom"),
        ("M30T", 8000, 6.4, "wide"),
        ("M3E", 5280, 17.3, "Mavic 3 Enterprise"),
        (" FC6520 ", 5280, 17.3, "X5S"),
    ],
)
def test_lookup(model: str, width: int | None, expected_mm: float, description: str) -> None:
    spec = sensors.lookup(model, width)
    assert spec is not None
    assert spec.width_mm == pytest.approx(expected_mm)
    assert description in spec.description


@pytest.mark.parametrize("model", [None, "", "Canon PowerShot S110", "FC9999"])
def test_unknown_models(model: str | None) -> None:
    assert sensors.lookup(model, 4000) is None


def test_table_is_consistent() -> None:
    for model, specs in sensors.SENSORS.items():
        assert model == model.upper()
        for spec in specs:
            aspect = spec.width_mm / spec.height_mm
            assert 1.2 < aspect < 1.8, model
            pitch_um = spec.width_mm / spec.native_width_px * 1000
            assert 0.7 < pitch_um < 20, model  # visible 0.8-3.3 um, thermal 12-17 um
