"""Hit actions on real scanned hits: buttons follow the allowed moves, coordinates to the clipboard,
the selection exported through the core's writers and read back."""

from __future__ import annotations

import json
from pathlib import Path

import gpxpy
import numpy as np
import pytest
from pixels import rgb
from PyQt6.QtCore import Qt, QUrl
from PyQt6.QtGui import QDesktopServices
from PyQt6.QtWidgets import QApplication

from sartriage import hits
from sartriage.export.formats import FORMATS
from sartriage.frames import Window, open_frame
from sartriage.store import Store
from ui.closeup import crop_side
from ui.export_hits import DIALOG_FILTER, export_hits, format_for
from ui.hit_actions import HitPanel, clipboard_text
from ui.main_window import MainWindow
from ui.settings import Settings


@pytest.fixture
def panel(qtbot) -> HitPanel:  # type: ignore[no-untyped-def]
    p = HitPanel()
    qtbot.addWidget(p)
    return p


@pytest.mark.parametrize(
    ("status", "enabled"),
    [
        ("candidate", {"confirm", "reject"}),
        ("confirmed", {"reject", "found", "not-found", "reopen"}),
        ("rejected", {"confirm", "reopen"}),
        ("found", {"reopen"}),
    ],
)
def test_buttons_follow_the_moves_the_core_allows(
    panel: HitPanel, store: Store, status: str, enabled: set[str]
) -> None:
    hit = hits.list_hits(store)[0]
    if status == "confirmed":
        hit = hits.confirm(store, hit.id)
    elif status == "rejected":
        hit = hits.reject(store, hit.id)
    elif status == "found":
        hits.confirm(store, hit.id)
        hit = hits.mark_found(store, hit.id)
    panel.set_hit(hit)
    assert {a for a, b in panel.buttons.items() if b.isEnabled()} == enabled
    assert panel.fields["Status"].text() == status


def test_close_up_shows_the_photos_own_pixels_enlarged_by_whole_pixels(
    qtbot, panel: HitPanel, store: Store
) -> None:  # type: ignore[no-untyped-def]
    hit = hits.list_hits(store)[0]
    assert hit.box is not None
    with qtbot.waitSignal(panel.closeup.loaded, timeout=30_000) as loaded:
        panel.set_hit(hit)
    x, y, w, h = loaded.args[0]
    assert w == crop_side(hit) and x <= hit.box[0] and hit.box[2] <= x + w  # the whole box, around it
    shown = rgb(panel.closeup.picture.pixmap().toImage())
    factor = shown.shape[1] // w
    assert factor >= 1 and shown.shape[:2] == (h * factor, w * factor)
    with open_frame(Path(hit.frame_path)) as frame:
        truth = frame.read(window=Window(x, y, w, h))
    np.testing.assert_array_equal(shown[::factor, ::factor], truth)  # untouched, nearest-pixel enlarged
    assert f"{w}×{h} pixels of the photo, shown {factor}×" in panel.closeup.caption.text()


def test_copy_coordinates(panel: HitPanel, store: Store) -> None:
    hit = hits.list_hits(store)[0]
    panel.set_hit(hit)
    panel.copy_coordinates()
    text = QApplication.clipboard().text()
    assert text == clipboard_text(hit)
    assert f"{hit.lat:.6f}, {hit.lon:.6f}" in text
    assert f"geo:{hit.lat:.6f},{hit.lon:.6f};u={hit.error_radius_m:.0f}" in text
    assert "MGRS 37U" in text and "°" in text
    assert panel.fields["MGRS"].text().startswith("37U ")


def test_note_button_emits_the_text(
    qtbot, panel: HitPanel, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from ui import hit_actions

    monkeypatch.setattr(
        hit_actions.QInputDialog, "getMultiLineText", lambda *a, **k: ("seen from the road", True)
    )
    hit = hits.list_hits(store)[0]
    panel.set_hit(hit)
    with qtbot.waitSignal(panel.note, timeout=1_000) as noted:
        qtbot.mouseClick(panel.note_button, Qt.MouseButton.LeftButton)
    assert noted.args == [hit.id, "seen from the road"]


def test_export_selection_to_gpx_from_the_window(
    qtbot, settings: Settings, mission_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    window = MainWindow(settings)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.mission.refreshed, timeout=30_000):
        window.open_mission(mission_copy)
    shown = window.candidates.hits()
    window.candidates.item(0).setSelected(True)
    window.candidates.item(1).setSelected(True)
    chosen = sorted(h.id for h in window.candidates.selected_hits())
    assert chosen == sorted(h.id for h in shown[:2])
    out = tmp_path / "team2.gpx"
    window.export_to(out, chosen)
    qtbot.waitUntil(lambda: window.last_export is not None, timeout=30_000)
    with out.open() as f:
        gpx = gpxpy.parse(f)
    # views of one person in overlapping tiles become one waypoint (the core groups them)
    assert 1 <= len(gpx.waypoints) <= len(chosen)
    for point in gpx.waypoints:
        assert any(
            abs(point.latitude - h.lat) < 1e-4 and abs(point.longitude - h.lon) < 1e-4 for h in shown[:2]
        )
    assert window.statusBar().currentMessage().startswith(str(out))
    # the export is told in a box that stays, with a button to the folder it is in
    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    box = window.export_box
    assert box is not None and box.isVisible() and "waypoints, written to" in box.text()
    next(b for b in box.buttons() if b.text() == "Open folder").click()
    assert [u.toLocalFile() for u in opened] == [str(tmp_path)]


def test_every_export_format_of_the_core_is_offered_and_written(store: Store, tmp_path: Path) -> None:
    ids = [h.id for h in hits.list_hits(store)]
    hits.confirm(store, ids[0])  # a decision: the training export has a reviewed tile to cut
    offered = DIALOG_FILTER.split(";;")
    assert [line.split(" (")[0] for line in offered] == [fmt.label for fmt in FORMATS.values()]
    for name, line in zip(FORMATS, offered, strict=True):
        chosen = tmp_path / name / "team"
        chosen.parent.mkdir()
        out, exported = export_hits(store, ids, chosen, format_for(chosen, line))
        assert out.exists() and exported.what, name
        if out.is_dir():
            assert any(out.rglob("*.*")), name
        else:
            assert out.stat().st_size > 0 and out.name.startswith("team"), name
    data = json.loads((tmp_path / "hits-geojson" / "team.geojson").read_text())
    assert data["type"] == "FeatureCollection" and len(data["features"]) >= 1
    assert (tmp_path / "report" / "team.png").is_file()  # the map report's 300 dpi picture beside its PDF


@pytest.mark.parametrize(
    ("name", "label", "expected"),
    [
        ("team", "GPX waypoints for a handheld GPS or phone", "gpx"),
        ("team", "KMZ for Google Earth or CalTopo, pictures inside", "kmz"),
        ("team.csv", "GPX waypoints for a handheld GPS or phone", "hits-csv"),  # a typed ending wins
        ("team.pdf", "Hit cards to print, one PDF", "cards"),
        ("team.pdf", "Map of what was searched, with the mission summary: PDF and PNG", "report"),
    ],
)
def test_the_format_follows_the_dialog_choice_or_a_typed_ending(name: str, label: str, expected: str) -> None:
    assert format_for(Path(name), f"{label} (*.x)") == expected


def test_export_errors_are_sentences(store: Store, tmp_path: Path) -> None:
    from sartriage.errors import ExportError

    with pytest.raises(ExportError, match="unknown export type"):
        export_hits(store, [1], tmp_path / "hits.docx")
    with pytest.raises(ExportError, match="no hits chosen"):
        export_hits(store, [], tmp_path / "hits.gpx")
