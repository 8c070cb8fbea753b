"""Scans off the GUI thread: the window keeps answering while the core scans real frames."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

from PyQt6.QtCore import QTimer
from real_frames import FLAG_THRESHOLD, LACMUS, XT2, flight_folder
from sqlalchemy import func, select

from sartriage.detect.card import find_card
from sartriage.detect.choice import DEFAULT_MODELS
from sartriage.store import open_store, schema
from ui.main_window import MainWindow
from ui.mission_panel import COLUMNS
from ui.scan_runner import ScanJob, ScanQueue
from ui.settings import Settings


def test_event_loop_keeps_ticking_while_scanning(
    qtbot, settings: Settings, model: Path, shared_data: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Prints the longest gap between 5 ms timer ticks over a whole scan (no timing is asserted)."""
    settings.model = model
    window = MainWindow(settings)
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    with qtbot.waitSignal(window.mission.refreshed, timeout=30_000):
        window.open_mission(tmp_path / "m.sqlite")
    folder = flight_folder(shared_data, tmp_path / "card", (LACMUS, *XT2))
    ticks: list[float] = []
    timer = QTimer(interval=5)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    reports: list[float] = []
    window.scans.progressed.connect(lambda _p: reports.append(time.perf_counter()))
    timer.start()
    started = time.perf_counter()
    with qtbot.waitSignal(window.scans.idle, timeout=300_000):
        window.start_scan(folder)
    elapsed = time.perf_counter() - started
    timer.stop()
    gaps = sorted(b - a for a, b in itertools.pairwise(ticks))
    print(
        f"\nevent loop while scanning 3 real frames ({elapsed:.1f} s): {len(ticks)} ticks of 5 ms, "
        f"longest gap {gaps[-1] * 1000:.0f} ms, 99th percentile {gaps[int(len(gaps) * 0.99)] * 1000:.0f} ms"
    )
    # the GUI thread handled timer events between the scan's progress reports: the scan did not block it
    assert len(reports) >= 2 and any(reports[0] < t < reports[-1] for t in ticks)
    with open_store(tmp_path / "m.sqlite", create=False) as store, store.connect() as conn:
        assert conn.execute(select(func.count()).where(schema.frames.c.status == "done")).scalar() == 3


def test_cancel_keeps_what_was_committed_and_drops_the_queue(
    qtbot, model: Path, shared_data: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    store = open_store(tmp_path / "m.sqlite")
    scans = ScanQueue()
    scans.store = store
    first = flight_folder(shared_data, tmp_path / "a", (LACMUS, *XT2))
    second = flight_folder(shared_data, tmp_path / "b", XT2)
    states: list[tuple[str, str]] = []
    scans.state.connect(lambda folder, state: states.append((Path(folder).name, state)))
    scans.add(ScanJob(first, model=model, device="cpu", flag=FLAG_THRESHOLD))
    scans.add(ScanJob(second, model=model, device="cpu"))
    assert [j.folder for j in scans.queued()] == [second]
    qtbot.waitUntil(lambda: scans.last is not None and scans.last.frames_done >= 1, timeout=120_000)
    with qtbot.waitSignal(scans.idle, timeout=60_000):
        scans.cancel()
    assert ("b", "stopped") in states and ("a", "stopped") in states
    with store.connect() as conn:
        by_status = dict(
            conn.execute(select(schema.frames.c.status, func.count()).group_by(schema.frames.c.status)).all()
        )
        frames_with_tiles = conn.execute(select(func.count(func.distinct(schema.tiles.c.frame_id)))).scalar()
    # committed frames are whole (tiles written with the frame); the rest wait for the next scan
    assert by_status.get("done", 0) >= 1 and by_status.get("claimed", 0) == 0
    assert frames_with_tiles == by_status["done"]
    store.close()


def test_a_folder_already_queued_is_refused(qtbot, model: Path, shared_data: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    scans = ScanQueue()  # no store: nothing starts, jobs wait
    folder = flight_folder(shared_data, tmp_path / "a", XT2[:1])
    scans.add(ScanJob(folder, model=model))
    with qtbot.waitSignal(scans.failed, timeout=1_000) as refused:
        scans.add(ScanJob(folder, model=model))
    assert "already being scanned" in refused.args[0]
    assert len(scans.queued()) == 1


def test_watching_a_card_being_copied(
    qtbot, settings: Settings, model: Path, shared_data: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Frames that appear while watching are scanned once their copy is complete; stop ends the watch."""
    settings.model = model
    window = MainWindow(settings)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.mission.refreshed, timeout=30_000):
        window.open_mission(tmp_path / "m.sqlite")
    card = tmp_path / "card"
    card.mkdir()
    window.start_scan(card, watch=True)
    qtbot.waitUntil(
        lambda: window.scans.last is not None and window.scans.last.phase == "watching", timeout=60_000
    )
    table = window.mission_panel.table

    def watching() -> None:
        assert table.rowCount() == 1 and table.item(0, COLUMNS.index("State")).text() == "watching"

    qtbot.waitUntil(watching, timeout=10_000)

    # a copy in progress: half a file first, the rest a moment later
    data = (shared_data / XT2[0]).read_bytes()
    target = card / "DJI_0002_R.JPG"
    target.write_bytes(data[: len(data) // 2])
    qtbot.wait(500)
    target.write_bytes(data)
    qtbot.waitUntil(
        lambda: window.scans.last is not None and window.scans.last.frames_done == 1, timeout=120_000
    )
    with qtbot.waitSignal(window.scans.idle, timeout=60_000):
        window.mission_panel.cancel_button.click()
    with open_store(tmp_path / "m.sqlite", create=False) as store, store.connect() as conn:
        rows = conn.execute(select(schema.frames.c.status, schema.frames.c.size_bytes)).all()
    assert [tuple(r) for r in rows] == [("done", len(data))]  # the whole file, scanned once


def test_without_a_chosen_model_thermal_frames_get_the_thermal_model(
    qtbot, shared_data: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """As `sartriage scan` without --model: each kind of imagery is scanned by its shipped model."""
    store = open_store(tmp_path / "m.sqlite")
    scans = ScanQueue()
    scans.store = store
    opened: list[tuple[str, str]] = []
    scans.opened.connect(lambda name, provider: opened.append((name, provider)))
    with qtbot.waitSignal(scans.idle, timeout=300_000):
        scans.add(ScanJob(flight_folder(shared_data, tmp_path / "night", XT2[:1]), device="cpu"))
    thermal = find_card(DEFAULT_MODELS["thermal"]).name
    with store.connect() as conn:
        rows = conn.execute(select(schema.frames.c.imagery, schema.frames.c.model)).all()
    store.close()
    assert [tuple(r) for r in rows] == [("thermal", thermal)]
    assert opened == [("the shipped RGB and thermal models", "CPU")]
