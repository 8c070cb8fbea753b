from __future__ import annotations

import hashlib
import logging
import os
import sys
from pathlib import Path

import pytest

from sartriage.errors import FrameError
from sartriage.scan.discover import content_hash, find_frames, is_frame_file


@pytest.mark.parametrize(
    ("name", "taken"),
    [
        ("DJI_0001.JPG", True),
        ("a.jpeg", True),
        ("b.JpEg", True),
        ("ortho.tif", True),
        ("ortho.TIFF", True),
        ("clip.MP4", False),
        ("DJI_0001.DNG", False),
        ("notes.txt", False),
        (".DJI_0001.JPG", False),  # macOS resource fork copied off a card
        ("jpg", False),
    ],
)
def test_frame_files_by_suffix(name: str, taken: bool) -> None:
    assert is_frame_file(Path(name)) is taken


def test_finds_frames_recursively_in_a_stable_order(tmp_path: Path) -> None:
    for rel in ["b.jpg", "a.JPG", "DCIM/100MEDIA/c.jpeg", "DCIM/101MEDIA/d.tif", ".trash/e.jpg", "x.txt"]:
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\xff\xd8")
    found = [p.relative_to(tmp_path).as_posix() for p in find_frames(tmp_path)]
    assert found == ["a.JPG", "b.jpg", "DCIM/100MEDIA/c.jpeg", "DCIM/101MEDIA/d.tif"]


def test_a_link_back_up_the_tree_is_followed_once(tmp_path: Path) -> None:
    (tmp_path / "DCIM").mkdir()
    (tmp_path / "DCIM" / "a.jpg").write_bytes(b"\xff\xd8")
    (tmp_path / "DCIM" / "loop").symlink_to(tmp_path, target_is_directory=True)
    assert [p.relative_to(tmp_path).as_posix() for p in find_frames(tmp_path)] == ["DCIM/a.jpg"]


def test_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FrameError, match="not a folder"):
        list(find_frames(tmp_path / "nowhere"))


def test_content_hash_is_the_sha256_of_the_bytes(shared_data: Path) -> None:
    frame = shared_data / "geotagged/deervision_dji_xt2/DJI_0002_R.JPG"
    assert content_hash(frame) == hashlib.sha256(frame.read_bytes()).hexdigest()


def test_content_hash_names_an_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(FrameError, match=r"gone\.jpg: cannot read"):
        content_hash(tmp_path / "gone.jpg")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX links and FIFOs")
def test_links_out_of_the_folder_and_special_files_are_left_out_and_reported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    private = tmp_path / "home" / "Pictures"
    private.mkdir(parents=True)
    (private / "family.jpg").write_bytes(b"\xff\xd8 private")
    card = tmp_path / "card"
    (card / "100MEDIA").mkdir(parents=True)
    (card / "100MEDIA" / "DJI_0001.JPG").write_bytes(b"\xff\xd8 frame")
    (card / "DCIM").symlink_to(private)
    (card / "inside.jpg").symlink_to(card / "100MEDIA" / "DJI_0001.JPG")
    os.mkfifo(card / "pipe.jpg")
    with caplog.at_level(logging.WARNING):
        found = [p.relative_to(card).as_posix() for p in find_frames(card)]
    assert found == ["inside.jpg", "100MEDIA/DJI_0001.JPG"]  # a link inside the folder is kept
    assert "DCIM: a link to outside the scanned folder" in caplog.text
    assert "pipe.jpg: not a regular file" in caplog.text
    followed = [p.relative_to(card).as_posix() for p in find_frames(card, follow_links=True)]
    assert followed == ["inside.jpg", "100MEDIA/DJI_0001.JPG", "DCIM/family.jpg"]
