"""The mission's own photos on the map, each on its footprint, and the layers menu over a real mission."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PyQt6.QtCore import QPointF
from real_frames import flight_folder

from sartriage.coords import distance_m
from sartriage.detect import Detector
from sartriage.frames import open_frame
from sartriage.mission_reads import map_frames
from sartriage.scan import ScanOptions, scan
from sartriage.store import Store, open_store
from ui import style
from ui.map_furniture import FOOTPRINT_OPACITY
from ui.map_layers import LayersButton
from ui.map_view import FRAME_ROLE, LAYERS, MapView
from ui.photo_layer import PhotoLoader, photo_corners
from ui.unscanned import UnscannedLoader

PERSON = (1775.0, 1640.0)  # one of the two people in the Lacmus photo (shared data README)


def test_each_photo_lies_on_its_footprint_where_the_camera_model_puts_its_pixels(qtbot, store: Store) -> None:  # type: ignore[no-untyped-def]
    view = MapView()
    qtbot.addWidget(view)
    frames = map_frames(store)
    view.set_frames(frames)
    loader = PhotoLoader(view)
    loader.show(frames, store)
    placed = [
        int(i) for i, fp in zip(frames.ids, frames.footprints, strict=True) if photo_corners(fp) is not None
    ]
    assert len(placed) == len(frames)  # every real frame here: a DJI camera model over flat ground
    qtbot.waitUntil(lambda: sorted(view.photo_ids()) == sorted(placed), timeout=30_000)

    lacmus = next(i for i, p in enumerate(frames.paths) if Path(p).name == "335.jpg")
    item = view._photos[int(frames.ids[lacmus])]
    with open_frame(Path(frames.paths[lacmus])) as frame:
        scale = item.pixmap().width() / frame.width
        want_lon, want_lat, _ = frame.georef.pixel_to_ground(np.array([PERSON[0]]), np.array([PERSON[1]]))
    at = item.mapToScene(QPointF(PERSON[0] * scale, PERSON[1] * scale))
    lon, lat = view.projection.to_lonlat(at.x(), at.y())
    # the person's pixel of the warped photo is on the ground where the scan placed it
    assert distance_m(float(lon), float(lat), float(want_lon[0]), float(want_lat[0])) < 1.0


def test_a_footprint_its_corners_do_not_explain_is_left_bare() -> None:
    square = [[0.0, 0.0], [0.001, 0.0], [0.001, 0.001], [0.0, 0.001]]
    assert photo_corners(square) is not None
    bent = [[0.0, 0.0], [0.0005, 0.0003], [0.001, 0.0], [0.001, 0.0005], [0.001, 0.001], [0.0005, 0.001],
            [0.0, 0.001], [0.0, 0.0005]]  # fmt: skip
    assert photo_corners(bent) is None  # an edge bowed past what a flat-ground photo does
    assert photo_corners(square[:3]) is None and photo_corners(None) is None


def test_the_layers_menu_shows_hides_and_fades_each_layer(qtbot, store: Store) -> None:  # type: ignore[no-untyped-def]
    view = MapView()
    qtbot.addWidget(view)
    view.set_frames(map_frames(store))
    button = LayersButton(view)
    qtbot.addWidget(button)
    assert set(button.shown) == set(LAYERS)
    button.shown["frames"].setChecked(False)
    assert view.layer("frames") == (False, 1.0) and not view._frames_group.isVisible()
    button.opacity["track"].setValue(40)
    assert view.layer("track") == (True, 0.4) and view._track.opacity() == 0.4
    button.opacity["frames"].setValue(50)
    assert view._frames_group.graphicsEffect().opacity() == pytest.approx(FOOTPRINT_OPACITY * 0.5)


def test_frames_a_stopped_scan_left_show_grey_where_their_files_put_them(
    qtbot, shared_data: Path, model: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    survey = sorted((shared_data / "geotagged/deervision_dji_xt2").glob("*.JPG"))[:8]
    folder = flight_folder(
        shared_data, tmp_path / "card", tuple(str(p.relative_to(shared_data)) for p in survey)
    )
    with open_store(tmp_path / "m.sqlite") as store:
        run = scan(store, folder, Detector.open(model, device="cpu"), ScanOptions())
        for progress in run:
            if progress.frames_done >= 3:
                break
        run.close()  # Cancel: the rest of the flight stays unscanned
        frames = map_frames(store)
    waiting = {
        int(i): Path(p)
        for i, s, p in zip(frames.ids, frames.status, frames.paths, strict=True)
        if s == "pending"
    }
    assert waiting and all(
        fp is None for s, fp in zip(frames.status, frames.footprints, strict=True) if s == "pending"
    )

    view = MapView()
    qtbot.addWidget(view)
    view.set_frames(frames)
    loader = UnscannedLoader(view)
    with open_store(tmp_path / "m.sqlite", read_only=True) as store:
        loader.show(frames, store)
    qtbot.waitUntil(lambda: set(view._unscanned) == set(waiting), timeout=30_000)
    grey = {
        int(item.data(FRAME_ROLE)): item
        for item in view._frames_group.childItems()
        if item.brush().color().rgb() == style.FRAME_PENDING.rgb()
    }
    assert set(grey) == set(waiting)
    for frame_id, path in waiting.items():
        with open_frame(path) as frame:
            expected = np.array(frame.georef.footprint())
        np.testing.assert_allclose(np.array(view._unscanned[frame_id]), expected)


def test_a_large_missions_photos_stay_within_the_memory_budget() -> None:
    from ui.photo_layer import PHOTO_BUDGET_PX, PHOTO_LONG_SIDE, PHOTO_MIN_SIDE, photo_side

    assert photo_side(24) == PHOTO_LONG_SIDE  # a survey grid: full size
    for frames in (500, 2_000):
        side = photo_side(frames)
        assert side < PHOTO_LONG_SIDE and frames * side * side * 0.75 <= PHOTO_BUDGET_PX * 1.01
    assert photo_side(8_000) == PHOTO_MIN_SIDE  # still recognisable terrain: the budget gives way
