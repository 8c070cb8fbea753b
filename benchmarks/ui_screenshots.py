"""Screenshots of each main view of the desktop app on real data, to look at.

    .venv/bin/python benchmarks/ui_screenshots.py [--out DIR] [--frames 12]

Copies real frames from ../shared (a DeerVision XT2 thermal survey grid with a broken file
added, and the Lacmus search photo with two people) into a temporary folder, scans them
through the app's own window with NanoDet-m from ../shared/models (flag threshold 0.25, set
as Scan ▸ Thresholds does), confirms and marks hits through the window, starts the review
server and invites a volunteer, and saves one PNG per view. Prints where the PNGs are and
the longest gap between event-loop ticks during the scan.
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
    settings.set_threshold("flag", 0.25)
    window = MainWindow(settings)
    window.resize(1600, 1000)
    window.show()
    window.open_mission(work / "mission.sqlite")
    wait_until(app, lambda: window.mission.snapshot is not None, 30, "the mission to open")

    ticks: list[float] = []
    timer = QTimer(interval=5)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    window.start_scan(survey)
    window.start_scan(search)
    print(f"scanning {args.frames} XT2 frames (+1 broken) and the Lacmus photo; screenshots in {out}")
    wait_until(
        app, lambda: window.scans.last is not None and window.scans.last.frames_done >= 3, 300, "3 frames"
    )
    settle(app, 1.0)
    save(window, out, "01_window_while_scanning")
    wait_until(app, lambda: not window.scans.running, 900, "the scans to finish")
    timer.stop()
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    print(f"event loop during the scan: longest gap {max(gaps) * 1000:.0f} ms over {len(ticks)} ticks")
    window.mission.refresh()
    settle(app, 2.0)

    # decisions through the window, as the coordinator makes them
    shown = window.candidates.hits()
    lacmus = [h for h in shown if Path(h.frame_path).name == LACMUS.name]
    survey_hits = [h for h in shown if Path(h.frame_path).parent == survey]
    print(f"candidates: {len(shown)} ({len(lacmus)} on the Lacmus photo, {len(survey_hits)} on the survey)")
    if lacmus:
        window.decide(lacmus[0].id, "confirm")
    for hit, action in zip(survey_hits, ("confirm", "reject"), strict=False):
        window.decide(hit.id, action)
    settle(app, 2.0)
    if survey_hits:
        window.decide(survey_hits[0].id, "found")
    settle(app, 2.0)

    save(window.mission_panel, out, "02_flights_panel")
    window.candidates.setCurrentRow(0)
    settle(app, 3.0)
    save(window, out, "03_window_candidate_chosen")
    save(window.candidates, out, "04_candidates")
    save(window.hit_panel, out, "05_hit_panel")

    view = window.frame_panel.view
    window.tabs.setCurrentWidget(window.frame_panel)
    if lacmus:
        window.show_context(lacmus[0])
        settle(app, 4.0)
        save(window.frame_panel, out, "06_frame_lacmus_context")
        window.candidates.setCurrentRow(
            next(i for i, h in enumerate(window.candidates.hits()) if h.id == lacmus[0].id)
        )
        settle(app, 1.0)
        view.focus_on(QRectF(lacmus[0].x - 60, lacmus[0].y - 60, 120, 120))
        settle(app, 4.0)
        save(window.frame_panel, out, "07_frame_lacmus_full_resolution")
    for box in window.frame_panel.toggles.values():
        box.setChecked(True)
    frames = window.mission.snapshot.frames
    window.show_frame(int(frames.ids[1]))
    settle(app, 4.0)
    save(window.frame_panel, out, "08_frame_xt2_all_layers")

    window.tabs.setCurrentWidget(window.map)
    survey_ids = {
        int(i) for i, f in zip(frames.ids, frames.flight_ids, strict=True) if f == frames.flight_ids[1]
    }
    items = [i for i in window.map.scene().items() if i.data(1) in survey_ids]
    rect = items[0].sceneBoundingRect()
    for item in items[1:]:
        rect = rect.united(item.sceneBoundingRect())
    window.map.show_area(rect.adjusted(-30, -30, 30, 30))
    settle(app, 1.0)
    save(window.map, out, "09_map_survey")
    if lacmus:
        window.map.resetTransform()
        window.map.scale(12.0, 12.0)
        window.map.centre_on_hit(lacmus[0].id)
        settle(app, 1.0)
        save(window.map, out, "10_map_lacmus_hits")
    window.map.fit_all()
    settle(app, 0.5)
    save(window, out, "11_window_map")

    window.review_dock.raise_()
    panel = window.review_panel
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    panel.host.setText("127.0.0.1")
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
    window.close()
    print(f"done: {len(list(out.glob('*.png')))} screenshots in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
