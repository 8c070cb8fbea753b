"""A model never clears tiles of imagery its card is not fit for; the scan says so in one line."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from scan_support import copy_frames, deervision, heridal
from sqlalchemy import select

from sartriage.cli.status import describe
from sartriage.detect import Detector
from sartriage.frames import open_frame
from sartriage.frames.imagery import RGB, THERMAL, is_grey
from sartriage.scan import ScanOptions, scan
from sartriage.scan.summary import summarise
from sartriage.store import open_store, schema

pytestmark = pytest.mark.filterwarnings("ignore::sartriage.errors.SartriageWarning")
HIT_UAV = "labelled/hit_uav_thermal/images"
LACMUS = "geotagged/lacmus_ladd_335/335.jpg"


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("geotagged/deervision_dji_xt2/DJI_0002_R.JPG", THERMAL),  # DJI radiometric, named _R
        (f"{HIT_UAV}/0_100_30_0_03307.jpg", THERMAL),  # single-channel
        (LACMUS, RGB),
    ],
)
def test_real_frames_are_told_apart(shared_data: Path, name: str, kind: str) -> None:
    with warnings.catch_warnings(), open_frame(shared_data / name) as frame:
        warnings.simplefilter("ignore")
        assert frame.imagery.kind == kind, frame.imagery


def test_grey_is_three_equal_channels() -> None:
    grey = np.repeat(np.arange(256, dtype=np.uint8).reshape(16, 16, 1), 3, axis=2)
    assert is_grey(grey)
    tinted = grey.copy()
    tinted[..., 0] = np.clip(tinted[..., 0].astype(int) + 40, 0, 255)
    assert not is_grey(tinted)


def test_an_rgb_model_clears_nothing_on_thermal_frames(
    shared_data: Path, tmp_path: Path, detector: Detector
) -> None:
    assert detector.card.imagery == ("rgb",)
    folder = tmp_path / "mixed"
    copy_frames(shared_data, folder, [*deervision(shared_data, 2), LACMUS, *heridal(shared_data, 2)])
    with open_store(tmp_path / "m.sqlite") as store:
        list(scan(store, folder, detector, ScanOptions(quality_share=0.0)))
        fr, ti = schema.frames, schema.tiles
        with store.connect() as conn:
            rows = conn.execute(
                select(fr.c.path, fr.c.imagery, fr.c.triage_note, ti.c.state).join(
                    ti, ti.c.frame_id == fr.c.id
                )
            ).all()
        [summary] = summarise(store)
    thermal = [r for r in rows if r.imagery == THERMAL]
    assert {Path(r.path).name for r in thermal} == {Path(p).name for p in deervision(shared_data, 2)}
    assert thermal and all(r.state != "cleared" for r in thermal)
    assert all("not fit" in r.triage_note for r in thermal)
    assert any(r.state == "cleared" for r in rows if r.imagery == RGB)  # RGB frames are still cleared
    assert all(r.triage_note is None for r in rows if r.imagery == RGB)
    assert summary.imagery == {THERMAL: 2, RGB: 3}
    [line] = [line for line in describe(summary) if "not fit" in line]
    assert line.strip().startswith("2 frames of thermal imagery")
