"""The thresholds the coordinator sets are remembered and reach the scan."""

from __future__ import annotations

import pytest

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
