"""The built wheel is the product a coordinator installs: it scans with its own shipped models and starts
the app from a fresh virtual environment outside the checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import time
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOT_SOURCE = (".git", ".venv", "build", "dist", "runs", "*.egg-info", "*_cache", "__pycache__", "*.sqlite*")
PRINT_MODELS = "import sartriage.detect.choice as c; print(*c.DEFAULT_MODELS.values())"


def _bin(env: Path, name: str) -> Path:
    return env / ("Scripts" if os.name == "nt" else "bin") / name


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding only the built wheel; its dependencies come from this venv's site-packages
    (a path in a .pth file: the checkout's editable install stays out of it)."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"  # a copy: the build leaves no build/ folder in the checkout
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*NOT_SOURCE))
    pip = [sys.executable, "-m", "pip"]
    build = [*pip, "wheel", "-q", "--no-deps", "--no-build-isolation", source, "-w", base]
    subprocess.run(build, check=True, cwd=base)
    (wheel,) = base.glob("sartriage-*.whl")
    env = base / "env"
    venv.EnvBuilder(with_pip=False).create(env)
    python = _bin(env, "python")
    fresh_site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    Path(fresh_site, "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", "--no-index", wheel],
        check=True,
    )
    return env


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return env | {"QT_QPA_PLATFORM": "offscreen"}


def test_the_wheel_carries_the_shipped_models_and_their_cards(installed: Path) -> None:
    found = subprocess.run(
        [_bin(installed, "python"), "-c", PRINT_MODELS],
        check=True, capture_output=True, text=True, cwd=installed, env=_env(),
    ).stdout.split()  # fmt: skip
    assert len(found) == 2
    for model in map(Path, found):
        assert model.is_relative_to(installed.resolve()) or model.is_relative_to(installed)
        assert model.stat().st_size > 1_000_000 and model.with_name(model.stem + ".card.toml").exists()


def test_a_scan_from_the_installed_wheel_finds_its_model(
    installed: Path, shared_data: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "flight"
    folder.mkdir()
    shutil.copy(shared_data / "geotagged" / "lacmus_ladd_335" / "335.jpg", folder)
    done = subprocess.run(
        [_bin(installed, "sartriage"), "scan", folder, "--db", tmp_path / "m.sqlite", "--device", "cpu"],
        capture_output=True, text=True, cwd=tmp_path, env=_env(), timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "1 frame: 1 done, 0 failed" in done.stdout
    assert "models: CenterNet MobileNetV3 512 (COCO) (rgb) on CPU" in done.stderr


def test_the_app_from_the_installed_wheel_starts_and_keeps_running(installed: Path, tmp_path: Path) -> None:
    app = subprocess.Popen(
        [_bin(installed, "sartriage-app")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path, env=_env(),
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 8.0  # a broken install dies at import, well within this
        while app.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert app.poll() is None, app.communicate()[1]
    finally:
        app.terminate()
        app.communicate(timeout=30)
