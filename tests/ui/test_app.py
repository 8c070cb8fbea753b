"""`sartriage-app` starts, opens the mission it is given, and turns uncaught errors into a dialog."""

from __future__ import annotations

import sys
from pathlib import Path

from PyQt6.QtCore import QSettings, QStandardPaths, QTimer
from PyQt6.QtWidgets import QApplication, QMessageBox

from ui import app as app_module
from ui.main_window import MainWindow


def test_main_opens_the_mission_and_installs_the_hook(
    qtbot, mission_copy: Path, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    QStandardPaths.setTestModeEnabled(True)
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(tmp_path / "config"))
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, _title, text: shown.append(text))
    previous = sys.excepthook
    seen: dict[str, object] = {}

    def look_and_quit() -> None:
        window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow))
        seen["store"] = window.mission.store.location if window.mission.store else None
        try:
            raise ValueError("boom in a slot")
        except ValueError:
            sys.excepthook(*sys.exc_info())  # type: ignore[arg-type]
        window.close()
        QApplication.instance().quit()

    def when_open() -> None:
        window = next((w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)), None)
        if window is None or window.mission.snapshot is None:
            QTimer.singleShot(100, when_open)
        else:
            look_and_quit()

    QTimer.singleShot(100, when_open)
    try:
        assert app_module.main([str(mission_copy)]) == 0
    finally:
        sys.excepthook = previous
        QStandardPaths.setTestModeEnabled(False)
    assert seen["store"] == str(mission_copy)
    assert len(shown) == 1
    assert shown[0].startswith("something went wrong (ValueError: boom in a slot)")
    assert "Traceback" not in shown[0] and "sartriage-app.log" in shown[0]
