"""What this computer can do for a search: inference devices, GPU, CUDA libraries, the desktop app's Qt,
disk space, the shipped models, and a timed run of the default model. One screen, each problem with its fix.

Used by ``sartriage doctor`` and the app's Help ▸ About this computer. The Qt check runs in a child
process: the core never imports Qt.
"""

from __future__ import annotations

import ctypes
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sartriage import __version__

CUDA_LIBRARIES = {  # {major}: the CUDA major version this ONNX Runtime was built with
    "linux": (("CUDA runtime", "libcudart.so.{major}"), ("cuBLAS", "libcublas.so.{major}"),
              ("cuDNN", "libcudnn.so.9")),
    "win32": (("CUDA runtime", "cudart64_{major}.dll"), ("cuBLAS", "cublas64_{major}.dll"),
              ("cuDNN", "cudnn64_9.dll")),
}  # fmt: skip
CUDA_FIX = (
    'pip install "onnxruntime-gpu[cuda,cudnn]" (CUDA and cuDNN from pip; no system CUDA install needed)'
)
WIDTH = 18
QT_XCB_LIBRARIES = {  # what Qt's X11 (xcb) window plugin loads, and the Debian/Ubuntu package holding it
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libEGL.so.1": "libegl1",
}


def apt_line(packages: Iterable[str]) -> str:
    return "sudo apt install " + " ".join(packages)


def qt_uses_xcb() -> bool:
    """Whether Qt will open its windows through X11 here (Linux, no other platform asked for)."""
    platform_name = os.environ.get("QT_QPA_PLATFORM", "")
    return sys.platform.startswith("linux") and (
        platform_name.startswith("xcb") or not (platform_name or os.environ.get("WAYLAND_DISPLAY"))
    )


def missing_qt_packages(loader: Callable[[str], object] = ctypes.CDLL) -> list[str]:
    """The packages of the X11 libraries Qt needs that cannot be loaded here. Qt itself names only
    xcb-cursor when any of them is missing, then aborts the process."""
    missing = []
    for library, package in QT_XCB_LIBRARIES.items():
        try:
            loader(library)
        except OSError:
            missing.append(package)
    return missing


@dataclass(frozen=True)
class Check:
    """One line of the report: what was looked at, what was found, and the fix when it is a problem."""

    topic: str
    found: str
    fix: str = ""

    @property
    def ok(self) -> bool:
        return not self.fix

    def lines(self) -> list[str]:
        out = [f"{self.topic + ':':<{WIDTH}}{self.found}"]
        if self.fix:
            out.append(f"{'':<{WIDTH}}fix: {self.fix}")
        return out


@dataclass(frozen=True)
class GpuCheck(Check):
    has_gpu: bool = False  # the driver listed at least one NVIDIA GPU


def report(checks: list[Check]) -> str:
    return "\n".join(line for check in checks for line in check.lines())


def system() -> Check:
    return Check(
        "sartriage",
        f"{__version__}, Python {platform.python_version()} on {platform.system()} {platform.machine()}, "
        f"{os.cpu_count() or 1} CPU cores",
    )


def providers() -> list[Check]:
    import onnxruntime as ort

    from sartriage.detect.session import SHORT

    available = [SHORT.get(p, p.removesuffix("ExecutionProvider")) for p in ort.get_available_providers()]
    return [Check("ONNX Runtime", f"{ort.__version__}; installed providers: {', '.join(available)}")]


def gpu() -> GpuCheck:
    """The NVIDIA GPU, from nvidia-smi (installed with the driver)."""
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return GpuCheck("GPU", "no NVIDIA driver found (nvidia-smi): inference runs on the CPU")
    try:
        done = subprocess.run(
            [smi, "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"],
            capture_output=True, text=True, timeout=15,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        return GpuCheck("GPU", f"nvidia-smi did not answer ({exc})", "reinstall the NVIDIA driver")
    if done.returncode != 0 or not done.stdout.strip():
        failed = f"nvidia-smi failed: {done.stderr.strip()[:200]}"
        return GpuCheck("GPU", failed, "reinstall the NVIDIA driver")
    gpus = [", ".join(part.strip() for part in line.split(",")) for line in done.stdout.strip().splitlines()]
    return GpuCheck("GPU", "; ".join(f"{g} (name, memory, driver)" for g in gpus), has_gpu=True)


def cuda_libraries(has_gpu: bool, loader: Callable[[str], object] = ctypes.CDLL) -> Check:
    """Whether the CUDA and cuDNN libraries ONNX Runtime's CUDA provider needs can be loaded (a problem only
    where there is an NVIDIA GPU to use them)."""
    import onnxruntime as ort

    if "CUDAExecutionProvider" not in ort.get_available_providers():
        return Check("CUDA libraries", "not needed: this ONNX Runtime has no CUDA provider")
    major = _cuda_major()
    from sartriage.detect.session import preload_cuda_libraries

    preload_cuda_libraries()
    missing = []
    for name, pattern in CUDA_LIBRARIES.get(sys.platform, ()):
        library = pattern.format(major=major)
        try:
            loader(library)
        except OSError:
            missing.append(f"{name} ({library})")
    if not missing:
        return Check("CUDA libraries", f"CUDA {major} runtime, cuBLAS and cuDNN load")
    found = f"cannot load {', '.join(missing)}"
    if not has_gpu:
        return Check("CUDA libraries", found + " (not needed without an NVIDIA GPU)")
    return Check("CUDA libraries", found, CUDA_FIX)


def _cuda_major() -> str:
    try:
        from onnxruntime.capi import build_and_package_info as info
    except ImportError:
        return "12"
    return str(getattr(info, "cuda_version", "12")).split(".")[0]


def qt(python: str = sys.executable, loader: Callable[[str], object] = ctypes.CDLL) -> Check:
    """Whether the app's window can open here: its Qt platform plugin is started in a child process."""
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        return Check("desktop app", "no display here (DISPLAY is not set): the app needs a desktop session")
    missing = missing_qt_packages(loader) if qt_uses_xcb() else []
    if missing:
        return Check(
            "desktop app", f"Qt cannot open a window: {', '.join(missing)} missing", apt_line(missing)
        )
    code = "from PyQt6.QtWidgets import QApplication; app = QApplication([]); print(app.platformName())"
    try:
        done = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Check("desktop app", f"Qt did not start ({exc})", "pip install --force-reinstall pyqt6")
    if done.returncode == 0:
        return Check("desktop app", f"Qt starts (platform {done.stdout.strip() or 'default'})")
    err = done.stderr.strip().splitlines()
    why = next((line for line in err if "xcb" in line or "plugin" in line), err[-1] if err else "no output")
    fix = (
        apt_line(QT_XCB_LIBRARIES.values()) if "xcb" in done.stderr else "pip install --force-reinstall pyqt6"
    )
    return Check("desktop app", f"Qt cannot open a window: {why[:200]}", fix)


def disk(where: Path) -> Check:
    folder = where if where.is_dir() else where.parent
    try:
        free = shutil.disk_usage(folder).free
    except OSError as exc:
        return Check(
            "disk", f"{folder}: cannot be read ({exc.strerror})", "choose a mission folder that exists"
        )
    gb = free / 1e9
    # a scan keeps a few MB per 1,000 frames in the store; exports and the review copies take more
    fix = "" if gb >= 2 else f"free space on {folder} (a long search needs a few GB) or choose another --db"
    return Check("disk", f"{gb:.1f} GB free at {folder}", fix)


def models() -> list[Check]:
    from sartriage.detect.card import find_card, sha256_of
    from sartriage.detect.choice import DEFAULT_MODELS
    from sartriage.errors import ModelError

    out = []
    for kind, path in DEFAULT_MODELS.items():
        try:
            card = find_card(path)
        except ModelError as exc:
            out.append(
                Check(f"model ({kind})", str(exc), "reinstall sartriage: its shipped models are missing")
            )
            continue
        intact = sha256_of(card.model_path) == card.sha256
        found = f"{card.name}, thresholds review {card.thresholds.review:g} / flag {card.thresholds.flag:g}"
        out.append(
            Check(
                f"model ({kind})", found, "" if intact else "reinstall sartriage: the model file is damaged"
            )
        )
    return out


def timed_run(seconds: float = 10.0, image: Path | None = None, device: str = "auto") -> Check:
    """Tiles per second of the default model on this machine: tiles of ``image``, or a generated tile."""
    from sartriage.detect import Detector
    from sartriage.errors import SartriageError
    from sartriage.frames import open_frame

    try:
        detector = Detector.open(None, device=device)
        w, h = detector.input_size
        if image is not None:
            with open_frame(image) as frame:
                tiles = detector.plan(frame)[:4]
                batch = detector.cut(frame, tiles)
            source = f"tiles of {image.name}"
        else:
            batch = np.random.default_rng(0).integers(0, 256, (4, h, w, 3), dtype=np.uint8)
            source = "generated tiles (--image PHOTO to time one of yours)"
    except SartriageError as exc:
        return Check("speed", f"the default model cannot run: {exc}", "see the lines above")
    detector.infer(batch[:1])  # the first run builds the session's kernels
    done = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        detector.infer(batch)
        done += len(batch)
    rate = done / (time.perf_counter() - started)
    per_frame = 24 / rate  # a 12 MP photo is about 24 tiles at the default scale
    return Check(
        "speed",
        f"{rate:.1f} tiles/s on {detector.provider} ({w}x{h}, {source}): "
        f"about {per_frame:.1f} s per 12 MP photo",
    )


def diagnose(
    db: Path, *, seconds: float = 10.0, image: Path | None = None, device: str = "auto"
) -> list[Check]:
    """Every check, in the order the report prints them."""
    card = gpu()
    checks = [system(), *providers(), card, cuda_libraries(card.has_gpu), qt(), disk(db), *models()]
    checks.append(timed_run(seconds, image, device))
    return checks
