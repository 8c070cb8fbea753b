from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from frame_builders import (
    jpeg_bytes,
    quadrants,
    with_claimed_size,
    with_exif_orientation,
    write_tiff,
)
from rasterio.env import get_gdal_config
from rasterio.windows import Window as RioWindow

from sartriage.errors import FrameError, MetadataWarning, NotGeoreferencedWarning
from sartriage.frames import NotGeoreferenced, Window, open_frame, pixels
from sartriage.frames.frame import MAX_PHOTO_PIXELS
from sartriage.frames.pixels import _megabytes

pytestmark = [
    pytest.mark.filterwarnings("ignore::sartriage.errors.SartriageWarning"),
    pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning"),
]


@pytest.mark.parametrize(
    ("relative", "size", "kind"),
    [
        ("geotagged/lacmus_ladd_335/335.jpg", (4000, 3000), "photo"),
        ("geotagged/deervision_dji_xt2/DJI_0002_R.JPG", (640, 512), "photo"),
        ("geotagged/orthority_p4rtk/100_0005_0018.tif", (1368, 912), "photo"),
        ("geotagged/deepforest_dji/AWPE_Pigeon_Lake_2020_DJI_0005.JPG", (1058, 997), "photo"),
        ("geotagged/edge_cases/webodm_tiny_drone_image_multispec.tif", (48, 36), "photo"),
        ("geotiff/deepforest_neon/OSBS_029.tif", (400, 400), "orthomosaic"),
        ("geotiff/webodm_fixture_orthophoto.tif", (212, 212), "orthomosaic"),
    ],
)
def test_real_files_open_with_size_and_rgb_pixels(
    shared_data: Path, relative: str, size: tuple[int, int], kind: str
) -> None:
    with open_frame(shared_data / relative) as frame:
        assert (frame.width, frame.height) == size
        assert frame.kind == kind
        whole = frame.read()
        assert whole.shape == (size[1], size[0], 3)
        assert whole.dtype == np.uint8
        assert whole.std() > 5  # real image content, not a blank


@pytest.mark.parametrize(
    "relative",
    [
        "geotagged/lacmus_ladd_335/335.jpg",
        "geotagged/orthority_p4rtk/100_0005_0018.tif",
        "geotiff/deepforest_neon/OSBS_029.tif",
    ],
)
def test_window_is_the_same_pixels_as_the_whole(shared_data: Path, relative: str) -> None:
    with open_frame(shared_data / relative) as frame:
        whole = frame.read()
        window = Window(37, 11, 120, 90)
        part = frame.read(window)
        np.testing.assert_array_equal(part, whole[11:101, 37:157])
        small = frame.read(window, out_size=(60, 45))
        assert small.shape == (45, 60, 3)
        # a half-size read is the average of the full window, give or take rounding and resampling
        assert abs(float(small.mean()) - float(part.mean())) < 2.0


def test_thermal_rjpeg_gives_its_visible_image(shared_data: Path) -> None:
    path = shared_data / "geotagged/deervision_dji_xt2/DJI_0002_R.JPG"
    with open_frame(path) as frame:
        pixels = frame.read()
    # the visible JPEG of an XT2 R-JPEG is a colour-mapped greyscale: three equal-ish channels
    assert pixels.shape == (512, 640, 3)
    assert np.abs(pixels[..., 0].astype(int) - pixels[..., 2].astype(int)).mean() < 30


def test_rgba_orthophoto_drops_alpha(shared_data: Path) -> None:
    path = shared_data / "geotiff/webodm_fixture_orthophoto.tif"
    with rasterio.open(path) as src:
        rgb = np.moveaxis(src.read([1, 2, 3], window=RioWindow(50, 60, 40, 30)), 0, -1)
    with open_frame(path) as frame:
        np.testing.assert_array_equal(frame.read(Window(50, 60, 40, 30)), rgb)


def test_sixteen_bit_single_band_is_stretched_to_uint8(shared_data: Path) -> None:
    path = shared_data / "geotagged/edge_cases/webodm_tiny_drone_image_multispec.tif"
    with rasterio.open(path) as src:
        raw = src.read(1).astype(np.float64)
    with open_frame(path) as frame:
        pixels = frame.read()
    assert pixels.dtype == np.uint8
    assert np.array_equal(pixels[..., 0], pixels[..., 1])
    assert pixels.max() >= 250 and pixels.min() <= 5  # the stretch uses the whole 8-bit range
    # brighter in the source stays brighter
    assert np.corrcoef(raw.ravel(), pixels[..., 0].ravel().astype(np.float64))[0, 1] > 0.95


def test_greyscale_jpeg_becomes_three_channels(tmp_path: Path) -> None:
    grey = np.tile(np.arange(64, dtype=np.uint8) * 4, (48, 1))
    path = tmp_path / "grey.jpg"
    import cv2

    cv2.imwrite(str(path), grey)
    with open_frame(path) as frame:
        pixels = frame.read()
    assert pixels.shape == (48, 64, 3)
    np.testing.assert_array_equal(pixels[..., 0], pixels[..., 2])


@pytest.mark.parametrize(
    ("value", "size", "top_left", "top_right"),
    [
        (1, (64, 48), (255, 0, 0), (0, 255, 0)),
        (3, (64, 48), (255, 255, 255), (0, 0, 255)),
        (6, (48, 64), (0, 0, 255), (255, 0, 0)),
        (8, (48, 64), (0, 255, 0), (255, 255, 255)),
    ],
)
def test_exif_orientation_is_applied(
    tmp_path: Path, value: int, size: tuple[int, int], top_left: tuple[int, ...], top_right: tuple[int, ...]
) -> None:
    path = tmp_path / f"oriented_{value}.jpg"
    path.write_bytes(with_exif_orientation(jpeg_bytes(quadrants()), value))
    with open_frame(path) as frame:
        assert (frame.width, frame.height) == size
        assert frame.meta.orientation == value
        pixels = frame.read()
        window = frame.read(Window(frame.width - 4, 0, 4, 4))
    np.testing.assert_allclose(pixels[2, 2], top_left, atol=40)
    np.testing.assert_allclose(pixels[2, -3], top_right, atol=40)
    np.testing.assert_array_equal(window, pixels[:4, -4:])


def test_non_ascii_path(shared_data: Path, tmp_path: Path) -> None:
    target = tmp_path / "поиск_Übung" / "снимок 335.jpg"
    target.parent.mkdir()
    shutil.copyfile(shared_data / "geotagged/lacmus_ladd_335/335.jpg", target)
    with open_frame(target) as frame:
        assert frame.read(Window(0, 0, 8, 8)).shape == (8, 8, 3)
        assert frame.meta.model == "FC220"


def test_tiff_without_georeferencing_is_a_photo_with_a_reason(tmp_path: Path) -> None:
    path = write_tiff(tmp_path / "plain.tif", np.moveaxis(quadrants(), -1, 0).copy())
    with pytest.warns(NotGeoreferencedWarning, match="plain.tif"), open_frame(path) as frame:
        assert frame.kind == "photo"
        assert isinstance(frame.georef, NotGeoreferenced)
        assert not frame.georef
        assert "no GPS position" in frame.georef.reason
        lon, lat, radius = frame.georef.pixel_to_ground([1.0], [2.0])
        assert np.isnan(lon[0]) and np.isnan(lat[0]) and np.isinf(radius[0])
        assert frame.georef.footprint() == []
        np.testing.assert_array_equal(frame.read(), quadrants())


def test_big_tiled_geotiff_is_read_by_window(tmp_path: Path) -> None:
    rows = np.arange(3000, dtype=np.uint16)[:, None] * np.ones((1, 2500), dtype=np.uint16)
    path = write_tiff(
        tmp_path / "mosaic.tif",
        np.stack([rows, rows, rows]),
        crs="EPSG:32633",
        transform=Affine(0.05, 0, 500000, 0, -0.05, 5000000),
        tiled=True,
        blockxsize=256,
        blockysize=256,
        compress="deflate",
    )
    with open_frame(path) as frame:
        assert (frame.width, frame.height, frame.kind) == (2500, 3000, "orthomosaic")
        top = frame.read(Window(100, 0, 50, 10))
        bottom = frame.read(Window(100, 2990, 50, 10))
        assert top.shape == bottom.shape == (10, 50, 3)
        assert int(top.mean()) < int(bottom.mean())  # the stretch keeps the row gradient
        assert frame.read(out_size=(250, 300)).shape == (300, 250, 3)
        assert frame.gsd_m == pytest.approx(0.05)


def test_window_outside_the_frame_is_refused(shared_data: Path) -> None:
    with (
        open_frame(shared_data / "geotagged/deervision_dji_xt2/DJI_0002_R.JPG") as frame,
        pytest.raises(ValueError, match="outside"),
    ):
        frame.read(Window(600, 0, 100, 10))
    with pytest.raises(ValueError, match="empty"):
        Window(0, 0, 0, 10)


def test_reading_after_close_is_a_clear_error(shared_data: Path) -> None:
    with open_frame(shared_data / "geotagged/deervision_dji_xt2/DJI_0002_R.JPG") as frame:
        pass
    with pytest.raises(FrameError, match="closed"):
        frame.read()


def _truncated(shared: Path) -> bytes:
    data = (shared / "geotagged/lacmus_ladd_335/335.jpg").read_bytes()
    return data[: len(data) // 2]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.jpg", lambda shared: b"", "empty file"),
        ("notes.jpg", lambda shared: b"flight notes: battery 2 swapped at 14:05\n" * 20, "not an image"),
        ("cut.jpg", _truncated, "truncated"),
        ("bomb.jpg", lambda shared: with_claimed_size(jpeg_bytes(quadrants()), 60000, 60000), "refusing"),
        ("bomb2.jpg", lambda shared: with_claimed_size(jpeg_bytes(quadrants()), 65000, 3100), "MP limit"),
        (
            "grid.jpg",
            lambda shared: b"ncols 2\nnrows 2\nxllcorner 0\nyllcorner 0\ncellsize 1\n1 2\n3 4\n",
            "not an image",  # GDAL could read it, but no driver but a frame's may open a frame
        ),
    ],
)
def test_bad_files_give_one_clear_error_naming_the_file(
    shared_data: Path, tmp_path: Path, name: str, content, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content(shared_data))
    with pytest.raises(FrameError, match=message) as caught, open_frame(path):
        pass
    assert str(path) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_truncated_geotiff_fails_where_its_data_ends(tmp_path: Path) -> None:
    noise = np.random.default_rng(0).integers(0, 255, (3, 1000, 1000), dtype=np.uint8)
    whole = write_tiff(
        tmp_path / "whole.tif",
        noise,
        crs="EPSG:32633",
        transform=Affine(0.1, 0, 500000, 0, -0.1, 5000000),
        tiled=True,
        blockxsize=256,
        blockysize=256,
        compress="deflate",
    )
    cut = tmp_path / "cut.tif"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with open_frame(cut) as frame:
        np.testing.assert_array_equal(
            frame.read(Window(0, 0, 100, 100)), np.moveaxis(noise[:, :100, :100], 0, -1)
        )
        with pytest.raises(FrameError, match="damaged or truncated") as caught:
            frame.read(Window(900, 900, 100, 100))
    assert str(cut) in str(caught.value)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    for path in (tmp_path / "nowhere.jpg", tmp_path):
        with pytest.raises(FrameError, match="no such file"), open_frame(path):
            pass


def test_bomb_limit_allows_big_real_cameras() -> None:
    assert MAX_PHOTO_PIXELS >= 11648 * 8736  # a 100 MP medium-format survey camera


def test_metadata_warnings_name_the_file(shared_data: Path) -> None:
    path = shared_data / "geotagged/edge_cases/DJI_0218_mini3pro_gps_zero.JPG"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with open_frame(path) as frame:
            assert isinstance(frame.georef, NotGeoreferenced)
            assert "0,0" in frame.georef.reason
            assert frame.read(Window(0, 0, 16, 16)).shape == (16, 16, 3)
    messages = [
        str(w.message) for w in caught if issubclass(w.category, MetadataWarning | NotGeoreferencedWarning)
    ]
    assert messages and all(path.name in m for m in messages)
    assert any("no satellite fix" in m for m in messages)


@pytest.mark.parametrize(
    ("value", "megabytes"),
    [(256, 256.0), ("64", 64.0), (1263825715, 1263825715 / 2**20), ("5%", float("inf"))],
)
def test_gdal_cache_setting_is_read_as_gdal_does(value: object, megabytes: float) -> None:
    assert _megabytes(value) == pytest.approx(megabytes)


def test_opening_a_mosaic_bounds_gdal_block_cache(shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GDAL_CACHEMAX", raising=False)
    monkeypatch.setattr(pixels, "_cache_bounded", False)
    with open_frame(shared_data / "geotiff/deepforest_neon/OSBS_029.tif"):
        pass
    assert _megabytes(get_gdal_config("GDAL_CACHEMAX")) <= pixels.GDAL_BLOCK_CACHE_MB


def test_unforeseen_metadata_failures_cost_the_georeferencing_not_the_frame(
    shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sartriage.frames import geolocate

    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("float division by zero")

    monkeypatch.setattr(geolocate, "georeference", broken)
    with open_frame(shared_data / "geotagged/deervision_dji_xt2/DJI_0002_R.JPG") as frame:
        assert isinstance(frame.georef, NotGeoreferenced)
        assert "georeferencing failed" in frame.georef.reason
        assert frame.read(Window(0, 0, 4, 4)).shape == (4, 4, 3)


def test_whole_reads_of_huge_mosaics_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sartriage.frames import frame as frame_module

    monkeypatch.setattr(frame_module, "MAX_READ_PIXELS", 100 * 100)
    path = write_tiff(tmp_path / "small.tif", np.zeros((3, 200, 200), np.uint8))
    with open_frame(path) as frame:
        with pytest.raises(ValueError, match="window by window"):
            frame.read()
        assert frame.read(out_size=(100, 100)).shape == (100, 100, 3)


def test_a_vrt_named_jpg_is_never_opened_by_gdal(tmp_path: Path) -> None:
    secret = tmp_path / "secret.tif"
    write_tiff(secret, np.zeros((1, 8, 8), np.uint8))
    vrt = (
        '<VRTDataset rasterXSize="8" rasterYSize="8"><VRTRasterBand dataType="Byte" band="1">'
        f"<SimpleSource><SourceFilename>{secret}</SourceFilename><SourceBand>1</SourceBand></SimpleSource>"
        "</VRTRasterBand></VRTDataset>"
    )
    fake = tmp_path / "DJI_0001.jpg"
    fake.write_text(vrt)
    with pytest.raises(FrameError, match="not an image sartriage can read") as error, open_frame(fake):
        pass
    assert "VRT" not in str(error.value)
