"""Which shipped model scans which frame."""

from __future__ import annotations

import warnings
from pathlib import Path

from sartriage.detect.choice import DEFAULT_THERMAL_MODEL, Models
from sartriage.frames import open_frame


def test_the_shipped_models_split_a_mixed_mission_by_imagery(shared_data: Path) -> None:
    models = Models.open(device="cpu", threads=1)
    assert models.for_kind("rgb").card.fit_for("rgb") and not models.for_kind("rgb").card.fit_for("thermal")
    thermal = models.for_kind("thermal")
    assert thermal.card.model_path == DEFAULT_THERMAL_MODEL.resolve() and thermal.card.fit_for("thermal")
    assert models.describe().startswith("models: ") and "(thermal)" in models.describe()
    xt2 = shared_data / "geotagged/deervision_dji_xt2/DJI_0002_R.JPG"
    with warnings.catch_warnings(), open_frame(xt2) as f:
        warnings.simplefilter("ignore")
        assert models.for_kind(f.imagery.kind) is thermal


def test_a_forced_model_scans_every_kind(shared_models: Path, tmp_path: Path) -> None:
    from scan_support import make_card

    forced = Models.open(make_card(shared_models, tmp_path), device="cpu")
    assert forced.for_kind("thermal") is forced.for_kind("rgb") is forced.fallback
    assert forced.describe().startswith("model ")
