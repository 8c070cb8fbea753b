"""Scan ▸ Learn from this mission's decisions: the mission model trains in the background, its figures
are shown, and one click makes it the model of the next scans."""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtCore import Qt

from sartriage import hits
from sartriage.store import open_store
from ui.main_window import MainWindow
from ui.settings import Settings


def test_the_mission_model_is_trained_shown_and_used_for_the_next_scans(
    qtbot, settings: Settings, mission_copy: Path
) -> None:  # type: ignore[no-untyped-def]
    with open_store(mission_copy, create=False) as store:  # the coordinator's decisions on the candidates
        for hit in hits.list_hits(store):
            (hits.confirm if Path(hit.frame_path).name == "335.jpg" else hits.reject)(store, hit.id)
        assert hits.counts(store)["confirmed"] >= 1
    window = MainWindow(settings)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.mission.refreshed, timeout=30_000):
        window.open_mission(mission_copy)
    dialog = window.learn_from_mission()
    assert dialog is not None
    qtbot.waitUntil(dialog.use_button.isEnabled, timeout=300_000)
    shown = dialog.text.toPlainText()
    assert "reviewed tiles: " in shown and "rgb tiles waiting for volunteers: " in shown
    assert "clears none" in shown  # too few decisions to let it clear a tile
    assert "_R.JPG" not in shown  # a model trained on colour photos does not score the thermal tiles
    model = mission_copy.parent / "mission-model.onnx"
    assert model.exists() and str(model) in dialog.status.text()
    qtbot.mouseClick(dialog.use_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: settings.model == model, timeout=30_000)
    assert "mission head" in window.detector_status.text()


def test_without_a_mission_there_is_nothing_to_learn_from(qtbot, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    window = MainWindow(settings)
    qtbot.addWidget(window)
    assert window.learn_from_mission() is None
    assert "open a mission first" in window.last_error
