"""Tile and context pictures cut from real frames, without paths or metadata."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from review_fixtures import LACMUS, add_flight, add_frame, add_tiles

from sartriage.errors import FrameError
from sartriage.frames import Window
from sartriage.review import tiles as tiles_module
from sartriage.review.tiles import TileImages, TileImageSettings, inside_frame, shrunk_size
from sartriage.store import Store


def decode(data: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


@pytest.fixture
def lacmus_tile(sqlite_store: Store, shared_data: Path) -> tuple[Store, int, Path]:
    path = shared_data / LACMUS
    frame = add_frame(sqlite_store, add_flight(sqlite_store, "f"), path, width=4000, height=3000)
    (tile,) = add_tiles(sqlite_store, frame, [(1450, 1340, 640, 640)], [0.5])  # around a person seen by eye
    return sqlite_store, tile, path


def test_tile_is_the_frames_pixels_in_its_window(lacmus_tile: tuple[Store, int, Path]) -> None:
    store, tile, path = lacmus_tile
    got = decode(TileImages(store).tile(tile))
    whole = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
    want = whole[1340 : 1340 + 640, 1450 : 1450 + 640]
    assert got.shape == want.shape
    assert np.abs(got.astype(int) - want.astype(int)).mean() < 4  # JPEG re-encoding only


def test_context_view_shows_the_surroundings_with_the_tile_outlined(
    lacmus_tile: tuple[Store, int, Path],
) -> None:
    store, tile, _ = lacmus_tile
    images = TileImages(store, TileImageSettings(max_context_px=960))
    context = decode(images.tile(tile, "context"))
    assert context.shape == (960, 960, 3)  # 3 x 640 around the tile, shrunk to fit
    outline = np.array(tiles_module.CONTEXT_OUTLINE_RGB)
    yellow = np.abs(context.astype(int) - outline).sum(axis=2) < 60
    assert (
        yellow[:, 300:340].sum() > 200 and yellow[300:340, :].sum() > 200
    )  # left edge near x=320, top near y=320


def test_served_jpegs_carry_no_exif_or_gps(lacmus_tile: tuple[Store, int, Path]) -> None:
    store, tile, path = lacmus_tile
    assert b"Exif" in path.read_bytes()[:70_000]  # the original has GPS in EXIF ...
    for view in ("tile", "context"):
        data = TileImages(store).tile(tile, view)
        assert (
            b"Exif" not in data and b"GPS" not in data and str(path.name).encode() not in data
        )  # ... ours none


def test_pictures_are_cached_and_frames_reused(
    lacmus_tile: tuple[Store, int, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, tile, _ = lacmus_tile
    opened = []
    real = tiles_module.open_frame
    monkeypatch.setattr(tiles_module, "open_frame", lambda p: opened.append(p) or real(p))
    images = TileImages(store)
    first = images.tile(tile)
    assert images.tile(tile) is first
    images.tile(tile, "context")
    assert len(opened) == 1
    images.close()


def test_a_missing_frame_is_one_clear_error(sqlite_store: Store, tmp_path: Path) -> None:
    frame = add_frame(
        sqlite_store, add_flight(sqlite_store, "f"), tmp_path / "gone.jpg", width=100, height=100
    )
    (tile,) = add_tiles(sqlite_store, frame, [(0, 0, 50, 50)], [0.5])
    with pytest.raises(FrameError, match=r"gone\.jpg"):
        TileImages(sqlite_store).tile(tile)


@pytest.mark.parametrize(
    ("w", "h", "longest", "expected"),
    [(640, 640, 1024, None), (2048, 1024, 1024, (1024, 512)), (300, 1200, 600, (150, 600))],
)
def test_fit(w: int, h: int, longest: int, expected: tuple[int, int] | None) -> None:
    assert shrunk_size(w, h, longest) == expected


@pytest.mark.parametrize(
    ("window", "size", "expected"),
    [
        (Window(0, 0, 100, 100), (200, 200), Window(0, 0, 100, 100)),
        (Window(150, 150, 100, 100), (200, 180), Window(150, 150, 50, 30)),
    ],
)
def test_a_window_is_kept_inside_its_frame(window: Window, size: tuple[int, int], expected: Window) -> None:
    assert inside_frame(window, *size) == expected


def _with_exif_and_comment(jpeg: bytes) -> bytes:
    """The JPEG with an EXIF segment naming a camera and a COM segment holding an SD-card path."""
    exif = b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x00DJI FC6310 GPS 46.1234N"
    comment = b"E:/DCIM/100MEDIA/DJI_0042.JPG"
    segments = b"\xff\xe1" + (len(exif) + 2).to_bytes(2, "big") + exif
    segments += b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
    return jpeg[:2] + segments + jpeg[2:]


def test_known_pictures_from_a_pack_are_served_like_mission_tiles(
    sqlite_store: Store, shared_data: Path
) -> None:
    from sqlalchemy import insert

    from sartriage.store import schema, utcnow

    rgb = cv2.imread(str(shared_data / LACMUS))[1500:2000, 1500:2000]
    _ok, encoded = cv2.imencode(".jpg", rgb, [cv2.IMWRITE_JPEG_QUALITY, 97])
    planted = _with_exif_and_comment(encoded.tobytes())
    with sqlite_store.begin() as conn:
        known = conn.execute(
            insert(schema.honeypots).values(
                truth="person",
                source="pack",
                pack="p",
                pack_item="a" * 64,
                image_jpeg=planted,
                context_jpeg=planted,
                created_at=utcnow(),
            )
        ).inserted_primary_key[0]
    images = TileImages(sqlite_store)
    served = images.honeypot(known)
    assert b"Exif" not in served and b"DCIM" not in served and served != planted
    assert decode(served).shape == (500, 500, 3)
    anna, bob = images.for_volunteer(served, 1), images.for_volunteer(served, 2)
    assert anna != bob and images.for_volunteer(served, 1) == anna  # own bytes, stable for the browser cache
    assert np.abs(decode(anna).astype(int) - decode(bob).astype(int)).mean() < 2  # the same picture
