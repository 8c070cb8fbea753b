from __future__ import annotations

from pathlib import Path

from sartriage.scan.watch import StableFiles


def test_a_file_is_ready_once_its_size_held_still_over_a_poll(tmp_path: Path) -> None:
    stable = StableFiles()
    growing = tmp_path / "DJI_0001.JPG"
    growing.write_bytes(b"\xff\xd8" + b"x" * 100)
    assert stable.poll_folder(tmp_path) == []  # first sight: nothing is known to be still yet
    with growing.open("ab") as stream:  # the copy goes on
        stream.write(b"y" * 100)
    assert stable.poll_folder(tmp_path) == []
    assert stable.poll_folder(tmp_path) == [growing]
    assert stable.poll_folder(tmp_path) == []  # handed out once


def test_new_files_join_later_and_vanished_files_are_forgotten(tmp_path: Path) -> None:
    stable = StableFiles()
    first = tmp_path / "a.jpg"
    first.write_bytes(b"a")
    stable.poll_folder(tmp_path)
    second = tmp_path / "sub" / "b.tif"
    second.parent.mkdir()
    second.write_bytes(b"b")
    assert stable.poll_folder(tmp_path) == [first]
    first.unlink()
    assert stable.poll_folder(tmp_path) == [second]
