"""The coordinator's window: flights and scans, candidates, the frame, the map, the chosen hit."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PyQt6.QtCore import QRectF, QSize, Qt, QTimer, QUrl
from PyQt6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QDesktopServices,
    QGuiApplication,
    QKeySequence,
    QShowEvent,
)
from PyQt6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QFileDialog,
    QFrame,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from sartriage import hits
from sartriage.detect.card import ModelCard, find_card
from sartriage.detect.inspect import card_or_draft
from sartriage.detect.session import DEVICES
from sartriage.export.formats import Exported
from sartriage.frames.geotiff import check_dem
from sartriage.mission_reads import FrameOverlays, TilePlace, frame_overlays, tile_place
from sartriage.scan import ScanProgress, TriageRules
from sartriage.scan.retriage import Retriage, retriage
from sartriage.snapshot import Snapshot
from sartriage.store import Store
from ui import basemap
from ui.about_computer import AboutComputer
from ui.candidates import FILTERS, THUMB, CandidateList
from ui.detector_status import DetectorStatus
from ui.export_hits import DIALOG_FILTER, export_hits, format_for
from ui.frame_viewer import LAYERS, FramePanel
from ui.geo import format_all
from ui.hit_actions import HitPanel
from ui.map_layers import LayersButton
from ui.map_view import MapView
from ui.mission import Mission
from ui.mission_model import MissionModelDialog
from ui.mission_panel import MissionPanel
from ui.photo_layer import PhotoLoader
from ui.review_panel import ReviewPanel
from ui.scan_runner import ScanJob, ScanQueue
from ui.settings import Settings
from ui.tasks import LatestOnly, run_in_background, wait_for_background
from ui.thresholds_dialog import ThresholdsDialog
from ui.unscanned import UnscannedLoader

log = logging.getLogger(__name__)

STORE_FILTER = "Mission store (*.sqlite *.db);;All files (*)"
CANDIDATES_WIDTH = 2 * (THUMB + 28) + 40  # two columns of thumbnails
MIN_MAP_WIDTH = 600
CONTEXT_SIDE = 1200  # frame pixels around a candidate when looking at its context


def fit_screen(width: int, height: int) -> QSize:
    """The size asked for, or less on a smaller screen (a 1366×768 field laptop)."""
    screen = QGuiApplication.primaryScreen()
    if screen is None:
        return QSize(width, height)
    room = screen.availableGeometry()
    return QSize(min(width, room.width()), min(height, room.height()))


class MainWindow(QMainWindow):
    def __init__(self, settings: Settings | None = None) -> None:
        super().__init__()
        self.settings = settings or Settings()
        self.setWindowTitle("sartriage")
        self.resize(fit_screen(1500, 950))
        self.last_error = ""
        self.last_retriage: Retriage | None = None
        self.last_marked: hits.Hit | None = None
        self.model_note = ""  # what was guessed for the last chosen model without a card
        self.last_export: tuple[Path, Exported] | None = None
        self.export_box: QMessageBox | None = None
        self.mission = Mission(self)
        self.scans = ScanQueue(self)

        self.candidates = CandidateList()
        self.candidates.setMinimumWidth(THUMB + 60)
        self.frame_panel = FramePanel()
        self.map = MapView()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.map, "Map")
        self.tabs.addTab(self.frame_panel, "Frame")
        self.layers_button = LayersButton(self.map)
        self.tabs.setCornerWidget(self.layers_button)
        self.tabs.currentChanged.connect(
            lambda _i: self.layers_button.setVisible(self.tabs.currentWidget() is self.map)
        )
        self.photos = PhotoLoader(self.map, self)
        self.unscanned = UnscannedLoader(self.map, self)
        self.status_filter = QComboBox()
        self.status_filter.addItems(list(FILTERS))
        self.status_filter.setToolTip("Which hits the list shows; rejected hits are greyed when shown")
        self.status_filter.currentTextChanged.connect(self.candidates.set_filter)
        listed = QWidget()
        column = QVBoxLayout(listed)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.status_filter)
        column.addWidget(self.candidates, 1)
        self._undo: list[tuple[int, str]] = []  # (hit id, status before the decision), newest last
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(listed)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(1, 1)
        self.splitter = splitter
        self.setCentralWidget(splitter)

        self.mission_panel = MissionPanel()
        self.hit_panel = HitPanel()
        self.mission_dock = self._dock("Flights", self.mission_panel, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.hit_dock = self._dock("Hit", self.hit_panel, Qt.DockWidgetArea.RightDockWidgetArea)
        self.review_panel = ReviewPanel()
        self.review_dock = self._dock("Review", self.review_panel, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.tabifyDockWidget(self.mission_dock, self.review_dock)
        self.mission_dock.raise_()

        self.coords = QLabel("")
        self.counts = QLabel("")
        self.detector_status = DetectorStatus()
        self.detector_status.set_model(self.settings.model)
        self.statusBar().addWidget(self.coords, 1)
        self.statusBar().addPermanentWidget(self.detector_status)
        self.statusBar().addPermanentWidget(self.counts)

        for layer in LAYERS:
            box = self.frame_panel.toggles[layer]
            box.setChecked(self.settings.layer_visible(layer, box.isChecked()))
            box.toggled.connect(lambda on, name=layer: self.settings.set_layer_visible(name, on))

        self._build_menus()
        self._connect()
        self._frame_shown: int | None = None
        self._frame_request = LatestOnly()  # the frame tab shows what was asked for last
        self._basemap_request = LatestOnly()
        self._frame_name = ""
        self._frame_hit: hits.Hit | None = None
        self._shown: Snapshot | None = None
        self._sized = False
        self._pending_background: Path | None = None
        self.refresh_timer = QTimer(self)
        self.refresh_timer.setInterval(2000)
        self.refresh_timer.timeout.connect(self.mission.refresh)
        geometry, state = self.settings.window_state()
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)

    def showEvent(self, event: QShowEvent | None) -> None:
        super().showEvent(event)
        if not self._sized:  # two columns of thumbnails at first; the person may drag it after
            self._sized = True
            QTimer.singleShot(0, self._size_splitter)

    def _size_splitter(self) -> None:
        total = sum(self.splitter.sizes())
        # two columns of thumbnails when the map keeps room enough, else one
        width = CANDIDATES_WIDTH if total >= CANDIDATES_WIDTH + MIN_MAP_WIDTH else THUMB + 60
        self.splitter.setSizes([width, max(total - width, 0)])

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{title.lower()}")
        scroll = QScrollArea()  # a panel taller than a small screen scrolls instead of growing the window
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(widget)
        scroll.setMinimumWidth(
            widget.minimumSizeHint().width() + scroll.verticalScrollBar().sizeHint().width()
        )
        dock.setWidget(scroll)
        self.addDockWidget(area, dock)
        return dock

    # -- menus -------------------------------------------------------------------------------------
    def _action(
        self, menu: QMenu | None, text: str, slot: Callable[[], object], shortcut: str | None = None
    ) -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        if menu is not None:
            menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        self._action(file, "&New mission…", self.new_mission, "Ctrl+N")
        self._action(file, "&Open mission…", self.open_mission_dialog, "Ctrl+O")
        self.recent_menu = file.addMenu("Open &recent")
        self._fill_recent()
        file.addSeparator()
        self.add_flight_action = self._action(file, "&Add flight folder…", self.add_flight_dialog)
        self.watch_action = self._action(file, "&Watch a card being copied…", self.watch_card_dialog)
        file.addSeparator()
        self._action(file, "Map &background (GeoTIFF or MBTiles)…", self.choose_background)
        self._action(file, "&Clear map background", lambda: self.set_background(None))
        file.addSeparator()
        self._action(file, "&Quit", self.close, "Ctrl+Q")

        hit_menu = bar.addMenu("&Hits")
        self._action(hit_menu, "&Undo the last decision", self.undo_decision, "Ctrl+Z")
        self._action(hit_menu, "&Confirm", lambda: self._act_on_current("confirm"))
        self._action(hit_menu, "&Reject", lambda: self._act_on_current("reject"))
        self._action(hit_menu, "Mark &found", lambda: self._act_on_current("found"))
        self._action(hit_menu, "Mark &not found", lambda: self._act_on_current("not-found"))
        self._action(hit_menu, "Add &note…", self.hit_panel._note_clicked)
        self._action(hit_menu, "&Copy coordinates", self.hit_panel.copy_coordinates, "Ctrl+Shift+C")
        hit_menu.addSeparator()
        self._action(hit_menu, "&Export selection…", self.export_selection, "Ctrl+E")
        self._action(
            hit_menu, "Export c&onfirmed hits, report or cards…", self.export_confirmed, "Ctrl+Shift+E"
        )

        view = bar.addMenu("&View")
        self._action(view, "Show the &whole mission on the map", self.map.fit_all, "Ctrl+0")
        view.addAction(self.mission_dock.toggleViewAction())
        view.addAction(self.hit_dock.toggleViewAction())
        view.addAction(self.review_dock.toggleViewAction())
        grid = view.addMenu("Map &grid")
        choices = QActionGroup(self)
        for name, words in (
            ("degrees", "&Latitude and longitude (degrees)"),
            ("utm", "&UTM / MGRS (metres)"),
        ):
            action = QAction(words, self, checkable=True)
            action.setChecked(self.settings.map_grid == name)
            action.triggered.connect(lambda _=False, g=name: self.set_map_grid(g))
            choices.addAction(action)
            grid.addAction(action)
        self.map.set_grid(self.settings.map_grid)

        scan = bar.addMenu("&Scan")
        self._action(scan, "Choose &model…", self.choose_model)
        self._action(scan, "Use the &default model", lambda: self.use_model(None))
        self._action(scan, "&Thresholds…", self.choose_thresholds)
        self._action(scan, "Terrain model (&DEM)…", self.choose_dem)
        self._action(scan, "Flat &ground (no DEM)", lambda: self.use_dem(None))
        scan.addSeparator()
        self._action(scan, "&Learn from this mission's decisions…", self.learn_from_mission)
        devices = scan.addMenu("&Device")
        for device in DEVICES:
            action = QAction(device, self)
            action.setCheckable(True)
            action.setChecked(self.settings.device == device)
            action.triggered.connect(lambda _=False, d=device: self._set_device(d))
            devices.addAction(action)
        self._device_actions = devices.actions()

        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "About this &computer…", self.about_computer)

    def learn_from_mission(self) -> MissionModelDialog | None:
        """Train a mission model on the decided tiles (`sartriage learn`), beside the mission file."""
        store = self.mission.store
        if store is None:
            self.show_error("open a mission first: the model learns from its decided tiles")
            return None
        path = self.mission.path
        stem = path.stem if path is not None else "mission"
        folder = path.parent if path is not None else self.settings.missions_folder
        dialog = MissionModelDialog(
            store.location, folder / f"{stem}-model.onnx", folder / f"{stem}-model.runs", self.use_model, self
        )
        dialog.open()
        return dialog

    def set_map_grid(self, grid: str) -> None:
        self.settings.map_grid = grid
        self.map.set_grid(grid)

    def about_computer(self) -> AboutComputer:
        """The `sartriage doctor` report for this machine, where the open mission lives."""
        dialog = AboutComputer(self.mission.path or Path.home(), self.settings.device, self)
        dialog.open()
        return dialog

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for path in self.settings.recent_missions:
            action = QAction(str(path), self)
            action.triggered.connect(lambda _=False, p=path: self.open_mission(p))
            self.recent_menu.addAction(action)
        self.recent_menu.setEnabled(bool(self.settings.recent_missions))

    def _set_device(self, device: str) -> None:
        self.settings.device = device
        for action in self._device_actions:
            action.setChecked(action.text() == device)

    # -- wiring ------------------------------------------------------------------------------------
    def _connect(self) -> None:
        m = self.mission
        m.opened.connect(self._opened)
        m.refreshed.connect(self._refreshed)
        m.failed.connect(self.show_error)
        s = self.scans
        s.progressed.connect(self._scan_progress)
        s.progressed.connect(self.detector_status.progressed)
        s.opened.connect(self.detector_status.opened)
        s.state.connect(self._scan_state)
        s.failed.connect(self.show_error)
        s.idle.connect(self._scans_idle)
        p = self.mission_panel
        p.add_flight.connect(self.add_flight_dialog)
        p.watch_card.connect(self.watch_card_dialog)
        p.pause.connect(self._pause)
        p.resume.connect(self._resume)
        p.cancel.connect(self.scans.cancel)
        p.carry_on.connect(self.carry_on)
        c = self.candidates
        c.current_hit.connect(self._hit_chosen)
        c.decide.connect(self.decide)
        c.context.connect(self.show_context)
        h = self.hit_panel
        h.act.connect(self.decide)
        h.note.connect(lambda hit_id, text: self.mission.act(lambda st: hits.add_note(st, hit_id, text)))
        h.show_on_map.connect(self.show_hit_on_map)
        h.export.connect(self.export_selection)
        self.map.hovered.connect(lambda lon, lat: self.coords.setText(format_all(lon, lat)))
        self.map.hit_clicked.connect(self.hit_clicked_on_map)
        self.map.frame_clicked.connect(lambda fid: self.show_frame(fid))
        r = self.review_panel
        r.failed.connect(self.show_error)
        r.decided.connect(self.mission.refresh)
        r.show_tile.connect(self.show_tile)
        self.frame_panel.view.failed.connect(lambda msg: self.statusBar().showMessage(msg, 8000))
        self.frame_panel.view.person_marked.connect(self.mark_person)

    # -- errors ------------------------------------------------------------------------------------
    def show_error(self, message: str) -> None:
        """One sentence in a dialog that does not block the scan or the event loop."""
        log.warning("%s", message)
        self.last_error = message
        box = QMessageBox(QMessageBox.Icon.Warning, "sartriage", message, QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    # -- missions ----------------------------------------------------------------------------------
    def _missions_folder(self) -> Path:
        folder = self.settings.missions_folder
        with contextlib.suppress(OSError):  # a dialog starting in a folder that is not there starts elsewhere
            folder.mkdir(parents=True, exist_ok=True)
        return folder

    def new_mission(self) -> None:
        start = str(self._missions_folder() / "mission.sqlite")
        name, _ = QFileDialog.getSaveFileName(self, "New mission store", start, STORE_FILTER)
        if name:
            path = Path(name)
            self.open_mission(path if path.suffix else path.with_suffix(".sqlite"))

    def open_mission_dialog(self) -> None:
        start = str(self._missions_folder())
        name, _ = QFileDialog.getOpenFileName(self, "Open mission store", start, STORE_FILTER)
        if name:
            self.open_mission(Path(name))

    def open_mission(self, path: Path) -> None:
        if self.scans.running:
            self.show_error("a scan is running: cancel it before opening another mission")
            return
        if self.review_panel.server.is_running and not self._stop_server_for(path):
            return
        self.mission.open(path)

    def _stop_server_for(self, path: Path) -> bool:
        """Ask before another mission stops the review server the volunteers are working on."""
        state = self.review_panel.state
        online = state.status.active_volunteers if state is not None else 0
        answer = QMessageBox.question(
            self,
            "Stop the review server?",
            f"Volunteers are reviewing this mission ({online} online now). Opening {path.name} stops the "
            "review server: their pages stop working until you start it again for this mission.\n\n"
            f"Stop the server and open {path.name}?",
        )
        return answer == QMessageBox.StandardButton.Yes

    def _opened(self, location: str) -> None:
        path = self.mission.path
        assert path is not None and self.mission.store is not None
        self.scans.store = self.mission.store
        self.settings.remember_mission(path)
        self.settings.missions_folder = path.parent
        self._fill_recent()
        self.setWindowTitle(f"sartriage — {path.name}")
        self._shown = None
        self.mission_panel.set_mission(location)
        self.review_panel.set_store(self.mission.store)
        self.frame_panel.clear()
        self.hit_panel.set_hit(None)
        self.map.reset()
        for reads in (self.photos.reads, self.unscanned.reads):
            reads.reset()
        # the background is read once the mission's extent is known (MBTiles reads only that area)
        self._pending_background = self.settings.background(path)

    def _refreshed(self, snapshot: Snapshot) -> None:
        previous, self._shown = self._shown, snapshot
        self.mission_panel.set_snapshot(snapshot)
        # rebuild only what changed: a scan step changes frames, a decision changes hits
        if previous is None or previous.hits != snapshot.hits or previous.agreement != snapshot.agreement:
            self.candidates.set_hits(snapshot.hits, snapshot.agreement, snapshot.groups)
            self.map.set_hits([h for h in snapshot.hits if h.status != "rejected"], snapshot.ground)
        if previous is None or not previous.frames.same_as(snapshot.frames):
            self.map.set_frames(snapshot.frames)
            for reads in (self.photos, self.unscanned):
                reads.show(snapshot.frames, self.mission.store)
        c = snapshot.hit_counts
        self.counts.setText(
            f"{c['candidate']} to decide · {c['confirmed']} confirmed · {c['found']} found · "
            f"{c['not_found']} not found · {c['rejected']} rejected"
        )
        current = self.candidates.current()
        self.hit_panel.set_hit(current)
        if self._frame_hit is not None:  # the frame's caption follows decisions on its hit
            self._frame_hit = next((h for h in snapshot.hits if h.id == self._frame_hit.id), self._frame_hit)
            self.frame_panel.caption.setText(self._frame_caption())
        if self._pending_background is not None:
            background, self._pending_background = self._pending_background, None
            self.set_background(background)

    # -- scans -------------------------------------------------------------------------------------
    def add_flight_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self,
            "Flight folder (the photos copied off the card)",
            str(self.settings.last_folder or Path.home()),
        )
        if folder:
            self.settings.last_folder = Path(folder)
            self.start_scan(Path(folder))

    def watch_card_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Folder the card is being copied to", str(self.settings.last_folder or Path.home())
        )
        if folder:
            self.settings.last_folder = Path(folder)
            self.start_scan(Path(folder), watch=True)

    def start_scan(self, folder: Path, watch: bool = False) -> None:
        if self.mission.store is None:
            self.show_error("no mission is open: create or open one first (File ▸ New mission…)")
            return
        if not folder.is_dir():
            self.show_error(f"{folder}: not a folder; choose the folder the photos were copied to")
            return
        s = self.settings
        job = ScanJob(
            folder.resolve(),
            watch=watch,
            model=s.model,
            device=s.device,
            review=s.threshold("review"),
            flag=s.threshold("flag"),
            dem=s.dem,
        )
        self.scans.add(job)
        self.mission_panel.set_running(self.scans.running, self.scans.paused)
        self.refresh_timer.start()

    def carry_on(self, folders: list[str]) -> None:
        """Scan again the flights an earlier session left unfinished (done frames are skipped)."""
        for folder in folders:
            self.start_scan(Path(folder))

    def _scan_progress(self, progress: ScanProgress) -> None:
        self.mission_panel.set_progress(progress)
        if progress.error:
            self.statusBar().showMessage(f"frame failed: {progress.error}", 8000)
        self.mission.refresh_soon()

    def _scan_state(self, folder: str, state: str) -> None:
        self.mission_panel.set_state(folder, state)
        self.mission_panel.set_running(self.scans.running, self.scans.paused)

    def _scans_idle(self) -> None:
        self.refresh_timer.stop()
        self.mission_panel.set_running(False, False)
        self.mission.refresh()

    def _pause(self) -> None:
        self.scans.pause()
        self.mission_panel.set_running(True, True)

    def _resume(self) -> None:
        self.scans.resume()
        self.mission_panel.set_running(True, False)

    # -- candidates, frame, map --------------------------------------------------------------------
    def decide(self, hit_id: int, action: str) -> None:
        run = hits.ACTIONS[action]
        before = self.candidates.status_of(hit_id)

        def done(_hit: object) -> None:
            if before is not None:
                self._undo.append((hit_id, before))

        self.mission.act(lambda store: run(store, hit_id), done)

    def mark_person(self, box: tuple[float, float, float, float]) -> None:
        """A person the coordinator drew on the frame shown: a confirmed hit, placed and exported like any
        other (Ctrl+Z rejects it again)."""
        frame_id = self._frame_shown
        if frame_id is None:
            self.show_error("show a frame first: pick a candidate, or a frame on the map")
            return

        def done(hit: hits.Hit) -> None:
            self._undo.append((hit.id, "rejected"))
            self.last_marked = hit
            where = format_all(hit.lon, hit.lat) if hit.lat is not None and hit.lon is not None else ""
            radius = f" ±{hit.error_radius_m:.0f} m" if hit.error_radius_m is not None else ""
            placed = f"at {where}{radius}" if where else "without a ground position (the photo has none)"
            self.statusBar().showMessage(
                f"hit {hit.id}: the person you marked is confirmed, {placed}", 30_000
            )

        self.mission.act(lambda store: hits.mark_person(store, frame_id, box), done)

    def undo_decision(self) -> None:
        """Ctrl+Z: the last decision taken back (a rejected person comes back to the list)."""
        if not self._undo:
            self.statusBar().showMessage("no decision to undo", 4000)
            return
        hit_id, before = self._undo.pop()
        self.mission.act(lambda store: hits.restore(store, hit_id, before))
        self.statusBar().showMessage(f"hit {hit_id} is {before.replace('_', ' ')} again", 6000)

    def _act_on_current(self, action: str) -> None:
        hit = self.candidates.current()
        if hit is not None:
            self.decide(hit.id, action)

    def _hit_chosen(self, hit: hits.Hit | None) -> None:
        self.hit_panel.set_hit(hit)
        if hit is not None:
            x, y, w, h = hit.tile
            self.show_frame(hit.frame_id, QRectF(x, y, w, h), hit=hit)

    def show_context(self, hit: hits.Hit) -> None:
        """The candidate in its surroundings: a wider part of the frame, on the Frame tab."""
        self.tabs.setCurrentWidget(self.frame_panel)
        half = CONTEXT_SIDE / 2
        self.show_frame(hit.frame_id, QRectF(hit.x - half, hit.y - half, CONTEXT_SIDE, CONTEXT_SIDE), hit=hit)

    def show_frame(self, frame_id: int, focus: QRectF | None = None, hit: hits.Hit | None = None) -> None:
        store = self.mission.store
        if store is None:
            return

        def shown(overlays: FrameOverlays) -> None:
            self._frame_shown = frame_id
            self._frame_name = f"{overlays.path.name} ({overlays.width}×{overlays.height})"
            self._frame_hit = hit
            self.frame_panel.show_frame(overlays, focus, self._frame_caption())
            if hit is not None:
                self.frame_panel.view.mark(hit.x, hit.y, max(hit.tile[2], hit.tile[3]) / 4)

        self._frame_request.run(self, lambda: frame_overlays(store, frame_id), shown, self.show_error)

    def _frame_caption(self) -> str:
        hit = self._frame_hit
        if hit is None:
            return self._frame_name
        return f"{self._frame_name} · hit {hit.id} · {hit.confidence:.2f} · {hit.status.replace('_', ' ')}"

    def show_tile(self, tile_id: int) -> None:
        """A tile (a disputed one from the review panel) in its frame."""
        store = self.mission.store
        if store is None:
            return

        def found(place: TilePlace) -> None:
            self.tabs.setCurrentWidget(self.frame_panel)
            self.show_frame(place.frame_id, QRectF(*place.xywh))

        self._frame_request.run(self, lambda: tile_place(store, tile_id), found, self.show_error)

    def hit_clicked_on_map(self, hit_id: int) -> None:
        """Pick the hit in the list (which shows its tile) and show the frame."""
        for i, hit in enumerate(self.candidates.hits()):
            if hit.id == hit_id:
                self.tabs.setCurrentWidget(self.frame_panel)
                if self.candidates.currentRow() == i:
                    self._hit_chosen(hit)
                else:
                    self.candidates.setCurrentRow(i)
                return

    def show_hit_on_map(self, hit_id: int) -> None:
        self.tabs.setCurrentWidget(self.map)
        self.map.centre_on_hit(hit_id)

    # -- map background ----------------------------------------------------------------------------
    def choose_background(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self,
            "Map background",
            str(self.settings.last_folder or Path.home()),
            "Orthomosaic or tiles (*.tif *.tiff *.mbtiles);;All files (*)",
        )
        if name:
            self.set_background(Path(name))

    def set_background(self, path: Path | None) -> None:
        if self.mission.path is not None:
            self.settings.set_background(self.mission.path, path)
        if path is None:
            self.map.set_background(None)
            return
        bounds = None
        snap = self.mission.snapshot
        if snap is not None and len(snap.frames) and np.isfinite(snap.frames.lon).any():
            lon, lat = snap.frames.lon, snap.frames.lat
            pad = 0.01
            bounds = (
                float(np.nanmin(lon)) - pad,
                float(np.nanmin(lat)) - pad,
                float(np.nanmax(lon)) + pad,
                float(np.nanmax(lat)) + pad,
            )
        self._basemap_request.run(
            self, lambda: basemap.load(path, bounds), self.map.set_background, self.show_error
        )

    # -- export ------------------------------------------------------------------------------------
    def export_selection(self) -> None:
        """The hits selected in the list, in any export format (GPX, KMZ, hit cards, a map report, ...)."""
        chosen = [h.id for h in self.candidates.selected_hits()]
        if not chosen:
            self.show_error("no hits chosen: select one or more hits in the list first")
            return
        self._export(chosen)

    def export_confirmed(self) -> None:
        self._export(None)

    def _export(self, hit_ids: list[int] | None) -> None:
        start = self._missions_folder()
        name, chosen_filter = QFileDialog.getSaveFileName(
            self, "Export hits", str(start / "hits.gpx"), DIALOG_FILTER
        )
        if name:
            self.export_to(Path(name), hit_ids, format_for(Path(name), chosen_filter))

    def export_to(self, path: Path, hit_ids: list[int] | None, name: str | None = None) -> None:
        """Write the export in the background; then say what was written, with a button to open its folder."""

        def done(result: tuple[Path, Exported]) -> None:
            out, exported = result
            self.last_export = result
            self.statusBar().showMessage(f"{out}: {exported.what}", 30_000)
            box = QMessageBox(
                QMessageBox.Icon.Information,
                "Exported",
                "\n".join((*exported.details, f"{exported.what}, written to {out}")),
                QMessageBox.StandardButton.Close,
                self,
            )
            box.addButton("Open folder", QMessageBox.ButtonRole.ActionRole).clicked.connect(
                lambda: self.open_folder(out)
            )
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            self.export_box = box
            box.open()

        self.mission.act(lambda store: export_hits(store, hit_ids, path, name), done)

    def open_folder(self, written: Path) -> None:
        """The file manager, in the folder an export was written to (or the folder it is)."""
        folder = written if written.is_dir() else written.parent
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    # -- settings ----------------------------------------------------------------------------------
    def choose_model(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, "Detector model", "", "ONNX model or its model card (*.onnx *.toml)"
        )
        if name:
            self.use_model(Path(name))

    def use_model(self, path: Path | None) -> None:
        """Scan with this model (None: the default) once its card is read, drafted if it had none."""
        if path is None:
            self.settings.model = None
            self.detector_status.set_model(None)
            return

        def chosen(result: tuple[ModelCard, str]) -> None:
            card, drafted = result
            self.settings.model = path
            self.detector_status.chosen(card.name or card.file)  # its card was read and checked just now
            self.model_note = drafted
            self.statusBar().showMessage(f"next scans use {card.name or card.file}", 8000)
            if drafted:
                box = QMessageBox(QMessageBox.Icon.Information, "Model card drafted", drafted, parent=self)
                box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
                box.open()

        run_in_background(self, lambda: card_or_draft(path), chosen, self.show_error)

    def choose_dem(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self,
            "Terrain model for the next scans",
            str(self._missions_folder()),
            "DEM or DSM GeoTIFF (*.tif *.tiff)",
        )
        if name:
            self.use_dem(Path(name))

    def use_dem(self, path: Path | None) -> None:
        """Place the next scans' photos on this terrain model (None: flat ground), once it opens as one."""

        def chosen(_checked: None) -> None:
            self.settings.dem = path
            self.statusBar().showMessage(
                f"next scans place photos on the terrain of {path.name}"
                if path
                else "next scans: flat ground",
                8000,
            )

        if path is None:
            chosen(None)
            return
        run_in_background(self, lambda: check_dem(path), chosen, self.show_error)

    def choose_thresholds(self) -> None:
        dialog = ThresholdsDialog(self.settings.threshold("review"), self.settings.threshold("flag"), self)
        if dialog.exec():
            review, flag = dialog.values()
            self.settings.set_threshold("review", review)
            self.settings.set_threshold("flag", flag)
            self.retriage_mission()

    def retriage_mission(self) -> None:
        """Sort the open mission's stored tiles again at the thresholds set (no detector run), and say
        what moved."""
        if self.mission.store is None:
            return
        s = self.settings
        model, review, flag = s.model, s.threshold("review"), s.threshold("flag")

        def work(store: Store) -> Retriage:
            return retriage(store, TriageRules.from_card(find_card(model), review, flag))

        self.mission.act(work, self._retriaged)

    def _retriaged(self, done: Retriage) -> None:
        self.last_retriage = done
        r = done.rules
        message = (
            f"Thresholds applied to the whole mission (review {r.review:g}, flag {r.flag:g}): "
            f"{done.to_review} tiles newly sent to volunteers, {done.candidates} new candidates, "
            f"{done.to_cleared} tiles back to cleared."
        )
        if done.kept_flagged or done.kept_answered:
            message += (
                f" Kept as they were: {done.kept_flagged} flagged tiles and {done.kept_answered} tiles "
                "volunteers already answered."
            )
        self.statusBar().showMessage(message, 30_000)
        box = QMessageBox(QMessageBox.Icon.Information, "Thresholds applied", message, parent=self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def closeEvent(self, event: QCloseEvent | None) -> None:
        for reads in (self.photos.reads, self.unscanned.reads):
            reads.reset()  # the files still queued for the map are not read
        self.scans.shutdown()
        self.review_panel.shutdown()
        wait_for_background(10.0)
        self.settings.save_window_state(self.saveGeometry(), self.saveState())
        self.settings.sync()
        self.mission.close()
        super().closeEvent(event)
