"""Screenshots of each main view of the desktop app on real data, to look at.

    .venv/bin/python benchmarks/ui_screenshots.py [--out DIR] [--frames 12]

Copies real frames from ../shared (a DeerVision XT2 thermal survey grid with a broken file
added, and the Lacmus search photo with two people) into a temporary folder, scans each into
its own mission through the app's own window with NanoDet-m from ../shared/models (flag
threshold 0.33, set as Scan ▸ Thresholds does), confirms and marks hits through the window,
starts the review server and invites a volunteer, and saves one PNG per view (the survey map also with
its photos under faded footprints and a UTM grid, and the window at a 1366x768 laptop's size). Prints where
the PNGs are and the longest gap between event-loop ticks during the survey scan.
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PyQt6.QtCore import QRectF, QSettings, QTimer
from PyQt6.QtWidgets import QApplication, QWidget

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sartriage.detect.inspect import draft_card  # noqa: E402
from ui.main_window import MainWindow  # noqa: E402
from ui.settings import Settings  # noqa: E402

SHARED = Path(os.environ.get("SARTRIAGE_SHARED", ROOT.parent / "shared"))
XT2 = SHARED / "data/geotagged/deervision_dji_xt2"
LACMUS = SHARED / "data/geotagged/lacmus_ladd_335/335.jpg"
MODEL = SHARED / "models/nanodet_m_416_coco.onnx"


def wait_until(app: QApplication, done: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        app.processEvents()
        time.sleep(0.01)


def settle(app: QApplication, seconds: float = 0.5) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def save(widget: QWidget, out: Path, name: str) -> Path:
    path = out / f"{name}.png"
    widget.grab().save(str(path))
    print(f"  {path}")
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="folder for the PNGs (default: a new temporary folder)")
    parser.add_argument("--frames", type=int, default=12, help="XT2 survey frames to scan (1-24)")
    args = parser.parse_args()
    for need in (XT2, LACMUS, MODEL):
        if not need.exists():
            raise SystemExit(f"{need}: real data not found (../shared beside the checkout)")
    work = Path(tempfile.mkdtemp(prefix="sartriage-ui-"))
    out = args.out or work / "screenshots"
    out.mkdir(parents=True, exist_ok=True)

    model = work / "model" / MODEL.name
    model.parent.mkdir()
    shutil.copyfile(MODEL, model)
    draft_card(model)
    survey = work / "survey-xt2"
    survey.mkdir()
    for frame in sorted(XT2.glob("*.JPG"))[: args.frames]:
        shutil.copyfile(frame, survey / frame.name)
    (survey / "DJI_9999_R.JPG").write_bytes(b"\xff\xd8\xff\xe0 truncated while copying")
    search = work / "search-photo"
    search.mkdir()
    shutil.copyfile(LACMUS, search / LACMUS.name)

    app = QApplication.instance() or QApplication(sys.argv[:1])
    settings = Settings(QSettings(str(work / "settings.ini"), QSettings.Format.IniFormat))
    settings.model, settings.device = model, "cpu"
    settings.set_threshold("flag", 0.33)
    window = MainWindow(settings)
    window.resize(1920, 1080)
    window.show()

    # mission 1: the Lacmus search photo; candidates, decisions, the frame and the map with hits
    window.open_mission(work / "search.sqlite")
    wait_until(app, lambda: window.mission.snapshot is not None, 30, "the mission to open")
    window.start_scan(search)
    print(f"scanning the Lacmus photo; screenshots in {out}")
    wait_until(app, lambda: not window.scans.running, 600, "the scan to finish")
    window.mission.refresh()
    wait_until(app, lambda: window.candidates.count() > 0, 30, "candidates")
    settle(app, 3.0)
    shown = window.candidates.hits()
    print(f"candidates on the Lacmus photo: {len(shown)}")
    best = shown[0]
    window.decide(best.id, "confirm")  # as `y` does
    if len(shown) > 2:
        window.decide(shown[2].id, "confirm")
        settle(app, 1.5)
        window.decide(shown[2].id, "found")
    settle(app, 2.0)
    window.candidates.setCurrentRow(0)
    settle(app, 3.0)
    save(window, out, "01_window_candidates")
    save(window.candidates, out, "02_candidates")
    save(window.hit_panel, out, "03_hit_panel")
    window.show_context(best)
    settle(app, 4.0)
    save(window.frame_panel, out, "04_frame_context")
    window.frame_panel.view.focus_on(QRectF(best.x - 60, best.y - 60, 120, 120))
    settle(app, 4.0)
    save(window.frame_panel, out, "05_frame_full_resolution")
    window.show_hit_on_map(best.id)
    window.map.resetTransform()
    window.map.scale(8.0, 8.0)
    window.map.centre_on_hit(best.id)
    settle(app, 1.0)
    save(window.map, out, "06_map_hits_error_circles")
    save(window, out, "07_window_map")

    # mission 2: the XT2 survey grid with a file broken in copying; progress while scanning
    window.open_mission(work / "survey.sqlite")
    wait_until(app, lambda: window.mission.path == work / "survey.sqlite", 30, "the second mission")
    ticks: list[float] = []
    timer = QTimer(interval=5)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    window.start_scan(survey)
    print(f"scanning {args.frames} XT2 frames (+1 broken)")
    wait_until(
        app, lambda: window.scans.last is not None and window.scans.last.frames_done >= 4, 600, "4 frames"
    )
    settle(app, 1.0)
    save(window, out, "08_window_while_scanning")
    wait_until(app, lambda: not window.scans.running, 900, "the scan to finish")
    timer.stop()
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    print(f"event loop during the survey scan: longest gap {max(gaps) * 1000:.0f} ms over {len(ticks)} ticks")
    window.mission.refresh()
    settle(app, 3.0)
    save(window.mission_panel, out, "09_flights_panel")
    window.tabs.setCurrentWidget(window.map)
    window.map.fit_all()
    settle(app, 1.0)
    save(window.map, out, "10_map_survey")
    window.map.set_layer("frames", opacity=0.3)  # as from Map layers: the photos under the footprints
    window.set_map_grid("utm")
    settle(app, 1.0)
    save(window.map, out, "10b_map_survey_photos_utm_grid")
    window.set_map_grid("degrees")
    window.map.set_layer("frames", opacity=1.0)
    for box in window.frame_panel.toggles.values():
        box.setChecked(True)
    frames = window.mission.snapshot.frames
    window.tabs.setCurrentWidget(window.frame_panel)
    window.show_frame(int(frames.ids[len(frames) // 2]))
    settle(app, 4.0)
    save(window.frame_panel, out, "11_frame_survey_all_layers")

    window.review_dock.raise_()
    panel = window.review_panel
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    panel.reach.setCurrentIndex(panel.reach.findData("127.0.0.1"))
    panel.port.setValue(port)
    panel.start_button.click()
    wait_until(app, lambda: panel.server.running is not None, 30, "the review server")
    panel.name.setText("Ana (on site)")
    panel.invite_button.click()
    wait_until(app, lambda: panel.link.text() != "", 30, "the invite")
    panel.refresh()
    settle(app, 2.0)
    save(panel, out, "12_review_panel")
    save(window, out, "13_window_review")
    window.resize(1366, 768)  # a field laptop: every dock's buttons must show whole
    settle(app, 1.0)
    save(window, out, "14_window_laptop_1366x768")
    window.close()
    print(f"done: {len(list(out.glob('*.png')))} screenshots in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
