"""The window fits a 1280×720 field-laptop screen with every panel's buttons readable."""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtWidgets import QDockWidget, QPushButton, QScrollArea

from ui.main_window import MainWindow
from ui.settings import Settings


def clipped_buttons(dock: QDockWidget) -> list[str]:
    """Buttons drawn narrower than their text needs."""
    return [
        b.text() for b in dock.findChildren(QPushButton) if b.isVisible() and b.width() < b.sizeHint().width()
    ]


def cut_at_the_side(dock: QDockWidget) -> bool:
    """The panel is wider than the room its dock shows (with a vertical scroll bar): its right edge is cut."""
    scroll = dock.widget()
    assert isinstance(scroll, QScrollArea)
    return scroll.widget().width() > scroll.viewport().width()


def test_every_panel_fits_1280_by_720(qtbot, settings: Settings, mission_copy: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    window = MainWindow(settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    with qtbot.waitSignal(window.mission.refreshed, timeout=30_000):
        window.open_mission(mission_copy)
    window.resize(1280, 720)
    qtbot.waitUntil(lambda: window.width() == 1280 and window.height() == 720, timeout=5000)

    for dock in (window.mission_dock, window.review_dock):
        dock.raise_()
        qtbot.waitUntil(dock.isVisible, timeout=5000)
        qtbot.wait(50)  # one layout pass
        assert not clipped_buttons(dock), dock.windowTitle()
        assert not cut_at_the_side(dock), dock.windowTitle()
        assert not clipped_buttons(window.hit_dock)
        window.grab().save(str(tmp_path / f"{dock.windowTitle().lower()}.png"))
    assert window.tabs.width() >= 400  # the map keeps a useful width between the panels
