from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from pathlib import Path

import cv2
import pytest
from pyproj import Geod
from xt2_mission import Mission

from sartriage.errors import ExportError
from sartriage.export.cards import qr_matrix, write_cards
from sartriage.export.records import HitRecord, load_records

GEOD = Geod(ellps="WGS84")
pytestmark = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs pdftoppm (poppler-utils)")


@pytest.fixture(scope="module")
def records(mission: Mission) -> list[HitRecord]:
    with mission.open() as store:
        return load_records(store)


def render(pdf: Path, folder: Path, dpi: int = 150) -> list[Path]:
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(folder / "page")], check=True)
    return sorted(folder.glob("page-*.png"))


def decode_qr(png: Path) -> str:
    text, _, _ = cv2.QRCodeDetectorAruco().detectAndDecode(cv2.imread(str(png)))  # see test_review_panel
    return text


def test_one_page_per_hit_with_a_qr_code_a_phone_can_read(records: list[HitRecord], tmp_path: Path) -> None:
    pdf = tmp_path / "cards.pdf"
    assert write_cards(records, pdf, title="XT2").count == 3
    pages = render(pdf, tmp_path)
    assert len(pages) == len(records)
    for page, record in zip(pages, records, strict=True):
        uri = decode_qr(page)
        match = re.fullmatch(r"geo:(-?\d+\.\d+),(-?\d+\.\d+);u=(\d+)", uri)
        assert match, uri
        lat, lon, u = float(match[1]), float(match[2]), int(match[3])
        assert GEOD.inv(lon, lat, record.lon, record.lat)[2] < 0.2
        assert u == round(record.group.error_radius_m)


def test_png_cards_in_a_folder(records: list[HitRecord], tmp_path: Path) -> None:
    result = write_cards(records[:1], tmp_path / "cards")
    png = tmp_path / "cards" / f"{records[0].name}.png"
    assert result.count == 1 and png.is_file()
    image = cv2.imread(str(png))
    assert image.shape[0] > image.shape[1] > 1500  # A4 portrait at 200 dpi
    assert decode_qr(png).startswith("geo:")


def test_a_missing_frame_still_gives_a_card(records: list[HitRecord], tmp_path: Path) -> None:
    lead = dataclasses.replace(records[0].group.lead, frame_path=str(tmp_path / "gone.JPG"))
    group = dataclasses.replace(records[0].group, views=(lead,))
    pdf = tmp_path / "cards.pdf"
    assert write_cards([dataclasses.replace(records[0], group=group)], pdf).count == 1
    assert decode_qr(render(pdf, tmp_path)[0]).startswith("geo:")


def test_no_hits_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="no hits match the filter"):
        write_cards([], tmp_path / "cards.pdf")


def test_qr_matrix_has_a_quiet_zone() -> None:
    matrix = qr_matrix("geo:41.5,-77.2;u=5")
    assert matrix.shape[0] == matrix.shape[1] >= 21 + 8
    assert not matrix[:4].any() and not matrix[:, :4].any() and matrix[4:-4, 4:-4].any()
