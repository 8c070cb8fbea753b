"""The real window, driven with keyboard and mouse through a scan of real frames to a confirmed hit."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from PyQt6.QtCore import QEvent, QPointF, QRectF, Qt
from PyQt6.QtGui import QAction, QMouseEvent
from PyQt6.QtWidgets import QApplication, QFileDialog, QMessageBox, QWidget
from real_frames import LACMUS, XT2, flight_folder
from sqlalchemy import func, select

from sartriage import hits
from sartriage.store import open_store, schema
from ui.candidates import MUTED
from ui.main_window import MainWindow
from ui.settings import Settings

# the two people in the Lacmus photo, located by eye (shared data README)
PEOPLE = ((1775, 1640), (1650, 2825))


def hover(widget: QWidget, pos: QPointF) -> None:
    """A real mouse-move event (QTest's mouseMove sends none on the offscreen platform)."""
    event = QMouseEvent(
        QEvent.Type.MouseMove,
        pos,
        widget.mapToGlobal(pos),
        Qt.MouseButton.NoButton,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(widget, event)


def _open(qtbot, window: MainWindow, path: Path) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(window.mission.refreshed, timeout=30_000):
        window.open_mission(path)


def _wait_status(qtbot, path: Path, hit_id: int, status: str) -> None:  # type: ignore[no-untyped-def]
    def check() -> None:
        with open_store(path, create=False) as store:
            assert hits.get_hit(store, hit_id).status == status

    qtbot.waitUntil(check, timeout=15_000)


@pytest.fixture
def window(qtbot, settings: Settings, model: Path) -> MainWindow:  # type: ignore[no-untyped-def]
    settings.model = model
    w = MainWindow(settings)
    qtbot.addWidget(w)
    w.resize(1400, 900)
    w.show()
    qtbot.waitExposed(w)
    return w


def test_scan_to_confirmed_hit_on_the_map(
    qtbot, window: MainWindow, shared_data: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    folder = flight_folder(shared_data, tmp_path / "card", (LACMUS, XT2[0]))
    (folder / "broken.jpg").write_text("not a photo, just text named .jpg")
    mission = tmp_path / "search.sqlite"
    _open(qtbot, window, mission)

    with qtbot.waitSignal(window.scans.idle, timeout=300_000):
        window.start_scan(folder)

    assert not window.last_error
    with open_store(mission, create=False) as store, store.connect() as conn:
        statuses = dict(
            conn.execute(select(schema.frames.c.status, func.count()).group_by(schema.frames.c.status)).all()
        )
        failed = conn.execute(
            select(schema.frames.c.path, schema.frames.c.error).where(schema.frames.c.status == "failed")
        ).all()
        stored = hits.list_hits(store)
    assert statuses == {"done": 2, "failed": 1}
    # the status bar names the model, where it ran (no GPU here) and how fast
    shown = window.detector_status.text()
    assert (
        shown.startswith("Detector: nanodet") and " · on the CPU · " in shown and shown.endswith(" tiles/s")
    )
    assert Path(failed[0].path).name == "broken.jpg" and failed[0].error
    # the window shows the finished scan once its last refresh lands (one read mid-scan may show less)
    qtbot.waitUntil(
        lambda: (
            [h.id for h in window.candidates.hits()] == [h.id for h in stored]
            and window.mission_panel.table.rowCount() == 1
            and window.mission_panel.table.item(0, 1).text() == "3 / 3"
        ),
        timeout=15_000,
    )
    # the failure and its reason are on screen, in the flights panel
    panel = window.mission_panel
    assert panel.table.rowCount() == 1
    assert panel.table.item(0, 1).text() == "3 / 3"
    listed = [panel.failures.item(i).text() for i in range(panel.failures.count())]
    assert any(line.startswith("broken.jpg: ") for line in listed)
    # and why the thermal frame's tiles all went to review: the test model is not fit for thermal
    assert "1 frame of thermal imagery: the model nanodet_m_416_coco is not fit for it" in listed[0]

    # the list shows every candidate, best first, and each lies on one of the two people
    shown = window.candidates.hits()
    assert [h.id for h in shown] == [h.id for h in stored]
    assert [h.confidence for h in shown] == sorted((h.confidence for h in shown), reverse=True)
    for hit in shown:
        assert Path(hit.frame_path).name == "335.jpg"
        assert min(abs(hit.x - px) + abs(hit.y - py) for px, py in PEOPLE) < 150

    # keyboard: move down and back up, confirm the best with y, reject the next with n
    window.candidates.setFocus()
    qtbot.keyClick(window.candidates, Qt.Key.Key_Right)
    assert window.candidates.currentRow() == 1
    qtbot.keyClick(window.candidates, Qt.Key.Key_Left)
    best = window.candidates.current()
    assert best is not None and best.id == shown[0].id
    qtbot.keyClick(window.candidates, Qt.Key.Key_Y)
    _wait_status(qtbot, mission, best.id, "confirmed")
    qtbot.waitUntil(lambda: window.candidates.hits()[0].status == "confirmed", timeout=10_000)
    qtbot.keyClick(window.candidates, Qt.Key.Key_Right)
    second = window.candidates.current()
    assert second is not None and second.id != best.id
    qtbot.keyClick(window.candidates, Qt.Key.Key_N)
    _wait_status(qtbot, mission, second.id, "rejected")
    # a rejected hit leaves the list
    qtbot.waitUntil(lambda: second.id not in [h.id for h in window.candidates.hits()], timeout=10_000)
    # ... but the filter shows it, greyed, and Ctrl+Z brings it back: one key never loses a person
    window.status_filter.setCurrentText("rejected")
    assert [h.id for h in window.candidates.hits()] == [second.id]
    assert window.candidates.item(0).foreground().color() == MUTED
    window.status_filter.setCurrentText("all but rejected")
    [undo] = [a for a in window.findChildren(QAction) if a.shortcut().toString() == "Ctrl+Z"]
    undo.trigger()
    _wait_status(qtbot, mission, second.id, "candidate")
    qtbot.waitUntil(lambda: second.id in [h.id for h in window.candidates.hits()], timeout=10_000)

    # space: the candidate in its context, on the frame tab
    window.candidates.setCurrentRow(0)
    qtbot.keyClick(window.candidates, Qt.Key.Key_Space)
    assert window.tabs.currentWidget() is window.frame_panel
    qtbot.waitUntil(lambda: window.frame_panel.view.path == Path(best.frame_path), timeout=15_000)

    # the confirmed hit is on the map; clicking it shows its tile in the frame view
    window.tabs.setCurrentWidget(window.map)
    qtbot.waitUntil(lambda: best.id in window.map.hit_ids(), timeout=10_000)
    window.map.centre_on_hit(best.id)
    QApplication.processEvents()
    point = window.map.marker_position(best.id)
    assert point is not None
    hover(window.map.viewport(), point)
    assert "55.97" in window.coords.text() and "37.68" in window.coords.text()  # decimal degrees
    assert "MGRS 37U" in window.coords.text() and "°" in window.coords.text()
    qtbot.mouseClick(window.map.viewport(), Qt.MouseButton.LeftButton, pos=point.toPoint())
    assert window.tabs.currentWidget() is window.frame_panel
    assert window.candidates.current().id == best.id
    assert window.hit_panel.fields["Status"].text() == "confirmed"
    qtbot.waitUntil(
        lambda: window.frame_panel.caption.text().endswith(
            f"hit {best.id} · {best.confidence:.2f} · confirmed"
        ),
        timeout=10_000,
    )
    view = window.frame_panel.view
    qtbot.waitUntil(lambda: view.path == Path(best.frame_path), timeout=15_000)

    # the tile fills the view: zoomed in past the whole frame, the hit inside what is visible
    def on_the_tile() -> None:
        visible = view.visible_frame_rect()
        assert visible.contains(QPointF(best.x, best.y)) and visible.width() < 0.6 * 4000

    qtbot.waitUntil(on_the_tile, timeout=15_000)

    # a note and "found" after the ground team went there, from the hit panel's buttons
    window.hit_panel.note.emit(best.id, "team 2 on the way")
    qtbot.mouseClick(window.hit_panel.buttons["found"], Qt.MouseButton.LeftButton)
    _wait_status(qtbot, mission, best.id, "found")
    with open_store(mission, create=False) as store:
        final = hits.get_hit(store, best.id)
        assert "team 2 on the way" in final.note
        assert hits.counts(store)["rejected"] == 0  # the one rejection was undone
    assert not window.last_error


def test_reopen_after_a_crash_carries_on(
    qtbot, settings: Settings, model: Path, shared_data: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """A scan killed with SIGKILL after its first frame (the same core the window runs, in a process we
    can kill) leaves frames pending; opening the mission in the app offers to carry on, and carrying on
    finishes them without scanning any frame twice."""
    folder = flight_folder(shared_data, tmp_path / "card", (LACMUS, *XT2))
    mission = tmp_path / "m.sqlite"
    open_store(mission).close()  # created before the scan starts, so polling it never races the creation
    cli = Path(sys.executable).with_name("sartriage")
    log = (tmp_path / "scan.log").open("w")
    scan = subprocess.Popen(
        [str(cli), "scan", str(folder), "--db", str(mission), "--model", str(model), "--device", "cpu"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )

    def first_frame_committed() -> bool:
        assert scan.poll() is None, (tmp_path / "scan.log").read_text()[-2000:]
        with open_store(mission, create=False) as store, store.connect() as conn:
            done = conn.execute(select(func.count()).where(schema.frames.c.status == "done")).scalar()
        return bool(done)

    try:
        qtbot.waitUntil(first_frame_committed, timeout=180_000)
    finally:
        scan.send_signal(signal.SIGKILL)
        scan.wait(30)
        log.close()
    with open_store(mission, create=False) as store, store.connect() as conn:
        before = dict(
            conn.execute(select(schema.frames.c.status, func.count()).group_by(schema.frames.c.status)).all()
        )
    assert before.get("done", 0) < 3, "killed before the end"

    window = MainWindow(settings)
    qtbot.addWidget(window)
    window.show()
    _open(qtbot, window, mission)
    panel = window.mission_panel
    qtbot.waitUntil(lambda: panel.carry_on_button.isVisible(), timeout=10_000)
    left = 3 - before.get("done", 0)
    assert f"({left} frame" in panel.carry_on_button.text()
    with qtbot.waitSignal(window.scans.idle, timeout=300_000):
        qtbot.mouseClick(panel.carry_on_button, Qt.MouseButton.LeftButton)
    with open_store(mission, create=False) as store, store.connect() as conn:
        statuses = dict(
            conn.execute(select(schema.frames.c.status, func.count()).group_by(schema.frames.c.status)).all()
        )
        windows = conn.execute(
            select(
                schema.tiles.c.frame_id,
                schema.tiles.c.x,
                schema.tiles.c.y,
                schema.tiles.c.w,
                schema.tiles.c.h,
            )
        ).all()
        flights = conn.execute(select(func.count()).select_from(schema.flights)).scalar()
    assert statuses == {"done": 3} and flights == 1
    assert len(windows) == len(set(windows))  # no tile written twice
    assert len({w[0] for w in windows}) == 3
    window.mission.refresh()
    qtbot.waitUntil(lambda: not panel.carry_on_button.isVisible(), timeout=10_000)


def test_pause_stops_pulling_and_resume_goes_on(
    qtbot, window: MainWindow, shared_data: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    folder = flight_folder(shared_data, tmp_path / "card", XT2)
    _open(qtbot, window, tmp_path / "m.sqlite")
    window.start_scan(folder)
    qtbot.waitUntil(
        lambda: window.scans.last is not None and window.scans.last.phase == "scanning", timeout=120_000
    )
    qtbot.mouseClick(window.mission_panel.pause_button, Qt.MouseButton.LeftButton)
    assert window.scans.paused and window.mission_panel.pause_button.text() == "Resume"
    before = window.scans.last.frames_done
    qtbot.wait(1500)
    # at most the frame being detected when pause was pressed finishes
    assert window.scans.last.frames_done <= before + 1
    with qtbot.waitSignal(window.scans.idle, timeout=300_000):
        qtbot.mouseClick(window.mission_panel.pause_button, Qt.MouseButton.LeftButton)
    assert window.scans.last.frames_done == 2


def test_map_background_is_remembered_per_mission(
    qtbot, settings: Settings, mission_copy: Path, shared_data: Path
) -> None:  # type: ignore[no-untyped-def]
    ortho = shared_data / "geotiff/deepforest_neon/OSBS_029.tif"
    window = MainWindow(settings)
    qtbot.addWidget(window)
    _open(qtbot, window, mission_copy)
    window.set_background(ortho)
    qtbot.waitUntil(lambda: len(window.map._background) == 1, timeout=20_000)
    window.close()

    again = MainWindow(settings)
    qtbot.addWidget(again)
    _open(qtbot, again, mission_copy)
    qtbot.waitUntil(lambda: len(again.map._background) == 1, timeout=20_000)
    assert settings.background(mission_copy) == ortho
    assert mission_copy in settings.recent_missions


def test_about_this_computer_shows_the_doctor_report(qtbot, settings: Settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    window = MainWindow(settings)
    qtbot.addWidget(window)
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    assert [a.text() for a in help_menu.actions()] == ["About this &computer…"]
    dialog = window.about_computer()
    qtbot.waitUntil(lambda: "speed:" in dialog.text.toPlainText(), timeout=60_000)
    text = dialog.text.toPlainText()
    assert "ONNX Runtime:" in text and "model (thermal):" in text and "tiles/s on CPU" in text
    assert dialog.status.text().startswith(("Everything needed", "1 thing", "2 thing", "3 thing"))
    dialog.grab().save(str(tmp_path / "about.png"))


def test_the_coordinator_marks_a_person_the_detector_missed(
    qtbot, settings: Settings, model: Path, mission_copy: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    settings.model = model
    window = MainWindow(settings)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    _open(qtbot, window, mission_copy)
    with open_store(mission_copy, create=False) as store:
        frame_id = hits.frame_named(store, "335.jpg")
    view = window.frame_panel.view
    window.tabs.setCurrentWidget(window.frame_panel)
    with qtbot.waitSignal(view.loaded, timeout=30_000):
        window.show_frame(frame_id)
    view.focus_on(QRectF(1400, 1300, 250, 250))
    window.frame_panel.mark_button.click()
    assert view.marking
    qtbot.wait(200)  # the view settles on its focus before the drag is aimed
    start, end = view.mapFromScene(QPointF(1500, 1400)), view.mapFromScene(QPointF(1530, 1450))
    qtbot.mousePress(view.viewport(), Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(view.viewport(), pos=end)
    qtbot.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, pos=end)
    qtbot.waitUntil(lambda: window.last_marked is not None, timeout=30_000)
    marked = window.last_marked
    assert marked is not None and (marked.source, marked.status) == ("coordinator", "confirmed")
    x1, y1, x2, y2 = marked.box
    assert abs(x1 - 1500) < 3 and abs(y1 - 1400) < 3 and abs(x2 - 1530) < 3 and abs(y2 - 1450) < 3
    assert (
        marked.lat is not None
        and "the person you marked is confirmed, at " in window.statusBar().currentMessage()
    )
    assert not view.marking  # one mark per press of the button
    window.grab().save(str(tmp_path / "marked.png"))
    window.undo_decision()  # a wrong mark is taken back like any decision
    _wait_status(qtbot, mission_copy, marked.id, "rejected")


def test_a_model_without_a_card_gets_a_draft_that_says_what_it_guessed(
    qtbot, window: MainWindow, shared_models: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    chosen = tmp_path / "models" / "yolox_nano_416_coco.onnx"
    chosen.parent.mkdir()
    shutil.copy(shared_models / chosen.name, chosen)
    window.use_model(chosen)
    qtbot.waitUntil(lambda: window.settings.model == chosen, timeout=30_000)
    assert (chosen.parent / "yolox_nano_416_coco.card.toml").is_file()
    assert "family yolox: input" in window.model_note and "sartriage eval" in window.model_note
    assert window.detector_status.text().startswith("Detector: yolox_nano_416_coco · ")

    broken = tmp_path / "models" / "notes.onnx"
    broken.write_text("not a model")
    window.use_model(broken)
    qtbot.waitUntil(lambda: "notes.onnx" in window.last_error, timeout=30_000)
    assert window.settings.model == chosen  # the working model stays chosen


def test_mission_and_export_dialogs_start_in_a_missions_folder_not_on_the_photo_card(
    qtbot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    window.settings.last_folder = tmp_path / "card" / "DCIM"  # the photos just scanned
    starts: list[str] = []

    def dialog(_parent, _title, start, *_rest):  # type: ignore[no-untyped-def]
        starts.append(start)
        return "", ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", dialog)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", dialog)
    window.new_mission()
    window.open_mission_dialog()
    missions = tmp_path / "home" / "Documents" / "sartriage missions"
    assert starts == [str(missions / "mission.sqlite"), str(missions)] and missions.is_dir()

    (tmp_path / "ops").mkdir()
    _open(qtbot, window, tmp_path / "ops" / "search.sqlite")
    window.export_confirmed()
    window.new_mission()
    assert starts[2:] == [str(tmp_path / "ops" / "hits.gpx"), str(tmp_path / "ops" / "mission.sqlite")]


def test_another_mission_asks_before_stopping_the_review_server_and_shows_nothing_of_the_last(
    qtbot, window: MainWindow, mission_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    _open(qtbot, window, mission_copy)
    window.candidates.setCurrentRow(0)
    shown = window.candidates.hits()[0]
    qtbot.waitUntil(lambda: window.frame_panel.view.path == Path(shown.frame_path), timeout=15_000)
    review = window.review_panel
    review.reach.setCurrentIndex(review.reach.findData("127.0.0.1"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        review.port.setValue(s.getsockname()[1])
    review.start_button.click()
    qtbot.waitUntil(lambda: review.server.running is not None, timeout=20_000)
    review.name.setText("Ana")
    review.invite_button.click()
    qtbot.waitUntil(lambda: review.link.text() != "" and review.people.rowCount() == 1, timeout=10_000)

    asked: list[str] = []
    answer = QMessageBox.StandardButton.No
    monkeypatch.setattr(QMessageBox, "question", lambda _parent, _title, text: asked.append(text) or answer)
    other = tmp_path / "other.sqlite"
    window.open_mission(other)
    assert len(asked) == 1 and "other.sqlite" in asked[0] and "stops the review server" in asked[0]
    assert review.server.running is not None and window.mission.path == mission_copy  # nothing changed

    answer = QMessageBox.StandardButton.Yes
    _open(qtbot, window, other)
    assert len(asked) == 2 and review.server.running is None
    assert review.link.text() == "" and review.qr.pixmap().isNull() and review.people.rowCount() == 0
    assert window.frame_panel.view.path is None and not window.frame_panel.view.scene().items()
    assert window.hit_panel.heading.text() == "No hit chosen" and window.candidates.count() == 0


def test_a_terrain_model_chosen_in_the_app_places_the_next_scan_on_it(
    qtbot, window: MainWindow, shared_data: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    survey = shared_data / "geotagged/orthority_p4rtk"
    window.use_dem(tmp_path / "not-a-dem.tif")
    qtbot.waitUntil(lambda: "not-a-dem.tif" in window.last_error, timeout=10_000)
    assert window.settings.dem is None  # a file that is not a DEM is not taken
    window.use_dem(survey / "dsm.tif")
    qtbot.waitUntil(lambda: window.settings.dem == survey / "dsm.tif", timeout=10_000)

    card = tmp_path / "card"
    card.mkdir()
    shutil.copy(sorted(survey.glob("100_*.tif"))[0], card)
    _open(qtbot, window, tmp_path / "terrain.sqlite")
    with qtbot.waitSignal(window.scans.idle, timeout=300_000):
        window.start_scan(card)
    with open_store(tmp_path / "terrain.sqlite", create=False) as store, store.connect() as conn:
        (record,) = conn.execute(select(schema.frames.c.georef)).scalars().all()
    assert record["kind"] == "camera+dem" and Path(record["dem"]["path"]) == (survey / "dsm.tif").resolve()
