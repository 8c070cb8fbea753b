"""`sartriage doctor`: one screen of what this machine can do, each problem with its exact fix. The GPU,
CUDA and Qt answers of other machines are faked at their boundary (nvidia-smi, the library loader, the
child Python that starts Qt); the rest runs for real here."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from sartriage import doctor
from sartriage.cli import main

TOPICS = ("sartriage", "ONNX Runtime", "GPU", "CUDA libraries", "desktop app", "disk", "model (rgb)",
          "model (thermal)", "speed")  # fmt: skip


def _script(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def test_the_report_covers_every_topic_and_times_the_model_on_a_real_photo(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    photo = shared_data / "geotagged" / "lacmus_ladd_335" / "335.jpg"
    code = main(["doctor", "--db", str(tmp_path / "m.sqlite"), "--seconds", "0.5", "--image", str(photo)])
    out = capsys.readouterr().out
    topics = [line.split(":")[0] for line in out.splitlines() if not line.startswith(" ")]
    assert topics == list(TOPICS)
    assert "tiles/s on CPU (512x512, tiles of 335.jpg)" in out
    assert f"GB free at {tmp_path}" in out
    assert code == (1 if "fix:" in out else 0)


def test_a_gpu_is_named_from_the_driver(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _script(tmp_path, "nvidia-smi", 'echo "NVIDIA RTX A2000 Laptop GPU, 4096 MiB, 550.54.14"')
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    check = doctor.gpu()
    assert check.ok and check.found.startswith("NVIDIA RTX A2000 Laptop GPU, 4096 MiB, 550.54.14")
    assert check.has_gpu  # what the CUDA library check is told, not read back from the text
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    assert not doctor.gpu().has_gpu


def test_missing_cuda_libraries_are_a_problem_only_with_a_gpu() -> None:
    def nothing_loads(library: str) -> None:
        raise OSError(f"{library}: cannot open shared object file")

    with_gpu = doctor.cuda_libraries(True, loader=nothing_loads)
    without = doctor.cuda_libraries(False, loader=nothing_loads)
    if with_gpu.found.startswith("not needed"):  # a CPU-only ONNX Runtime has no CUDA provider to feed
        assert with_gpu.ok and without.ok
        return
    assert "cuDNN (" in with_gpu.found and with_gpu.fix.startswith(
        'pip install "onnxruntime-gpu[cuda,cudnn]"'
    )
    assert without.ok and without.found.endswith("(not needed without an NVIDIA GPU)")
    assert doctor.cuda_libraries(True, loader=lambda _library: None).ok


def load_all_but(*absent: str) -> Callable[[str], object]:
    def load(library: str) -> object:
        if library in absent:
            raise OSError(f"{library}: cannot open shared object file")
        return None

    return load


def test_missing_xcb_libraries_are_named_with_their_packages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    check = doctor.qt(loader=load_all_but("libxcb-icccm.so.4", "libxcb-keysyms.so.1"))
    assert not check.ok and "libxcb-icccm4, libxcb-keysyms1 missing" in check.found
    assert check.fix == "sudo apt install libxcb-icccm4 libxcb-keysyms1"  # only what is missing


def test_missing_xcb_libraries_get_the_apt_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISPLAY", ":0")
    failing = _script(
        tmp_path,
        "python",
        "echo 'qt.qpa.plugin: From 6.5.0, xcb-cursor0 or libxcb-cursor0 is needed to load the Qt xcb "
        "platform plugin.' >&2; exit 134",
    )
    check = doctor.qt(str(failing), loader=load_all_but())  # Qt fails although every library loads
    assert "xcb-cursor0" in check.found
    assert check.fix.startswith("sudo apt install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1")
    working = _script(tmp_path, "python3", "echo xcb")
    assert doctor.qt(str(working), loader=load_all_but()).ok
