"""The thresholds the coordinator sets are remembered and reach the scan."""

from __future__ import annotations

from pathlib import Path

import pytest

from sartriage.scan import TriageRules
from sartriage.scan.retriage import stored_rules
from sartriage.store import open_store
from ui.main_window import MainWindow
from ui.settings import Settings
from ui.thresholds_dialog import ThresholdsDialog


@pytest.mark.parametrize(
    ("review", "flag", "use_card", "expected"),
    [(None, None, True, (None, None)), (0.2, 0.4, False, (0.2, 0.4))],
)
def test_values(qtbot, review, flag, use_card, expected) -> None:  # type: ignore[no-untyped-def]
    dialog = ThresholdsDialog(review, flag)
    qtbot.addWidget(dialog)
    assert dialog.use_card.isChecked() is use_card
    assert dialog.values() == expected


def test_flag_below_review_is_refused(qtbot) -> None:  # type: ignore[no-untyped-def]
    dialog = ThresholdsDialog(0.5, 0.6)
    qtbot.addWidget(dialog)
    dialog.flag.setValue(0.3)
    dialog._accept()
    assert dialog.result() != dialog.DialogCode.Accepted
    assert "must not be below" in dialog.warning.text()
    dialog.use_card.setChecked(True)
    assert dialog.values() == (None, None)


def test_settings_remember_thresholds(settings: Settings) -> None:
    settings.set_threshold("flag", 0.33)
    settings.set_threshold("review", None)
    settings.sync()
    again = Settings(type(settings.q)(settings.q.fileName(), settings.q.format()))
    assert again.threshold("flag") == pytest.approx(0.33)
    assert again.threshold("review") is None
    assert again.device == "cpu"


def test_new_thresholds_re_sort_the_open_mission_at_once(
    qtbot, settings: Settings, model: Path, mission_copy: Path
) -> None:  # type: ignore[no-untyped-def]
    settings.model = model
    window = MainWindow(settings)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.mission.refreshed, timeout=30_000):
        window.open_mission(mission_copy)
    before = len(window.candidates.hits())
    settings.set_threshold("flag", 0.12)  # what Scan ▸ Thresholds stores, then applies
    settings.set_threshold("review", 0.06)
    window.retriage_mission()
    qtbot.waitUntil(lambda: window.last_retriage is not None, timeout=30_000)
    done = window.last_retriage
    assert done is not None and done.candidates > 0
    qtbot.waitUntil(lambda: len(window.candidates.hits()) == before + done.candidates, timeout=10_000)
    assert f"{done.candidates} new candidates" in window.statusBar().currentMessage()
    with open_store(mission_copy, create=False) as store:
        assert stored_rules(store) == TriageRules(0.06, 0.12)
