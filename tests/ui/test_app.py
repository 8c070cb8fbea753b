"""`sartriage-app` starts, opens the mission it is given, and turns uncaught errors into a dialog."""

from __future__ import annotations

import sys
from pathlib import Path

from PyQt6.QtCore import QSettings, QStandardPaths
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
    # the test's own event loop runs the window (qtbot), so main() does not start a second one
    monkeypatch.setattr(QApplication, "exec", lambda self: 0)
    previous = sys.excepthook
    try:
        assert app_module.main([str(mission_copy)]) == 0
        window = next(
            w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()
        )
        qtbot.addWidget(window)
        qtbot.waitUntil(lambda: window.mission.snapshot is not None, timeout=30_000)
        assert window.mission.store is not None and window.mission.store.location == str(mission_copy)
        assert window.candidates.count() > 0
        try:
            raise ValueError("boom in a slot")
        except ValueError:
            sys.excepthook(*sys.exc_info())  # type: ignore[arg-type]
    finally:
        sys.excepthook = previous
        QStandardPaths.setTestModeEnabled(False)
    assert len(shown) == 1
    assert shown[0].startswith("something went wrong (ValueError: boom in a slot)")
    assert "Traceback" not in shown[0] and "sartriage-app.log" in shown[0]


def test_a_missing_x11_library_is_named_with_its_apt_line_before_qt_aborts(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from sartriage import doctor

    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    monkeypatch.setitem(doctor.QT_XCB_LIBRARIES, "libsartriage-absent.so.9", "sartriage-absent9")
    assert app_module.main([]) == 1
    said = capsys.readouterr().err
    assert said.count("\n") == 1 and "sartriage-absent9" in said
    assert said.rstrip().endswith("sudo apt install " + " ".join(doctor.missing_qt_packages()))
