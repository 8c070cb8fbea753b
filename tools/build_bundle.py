"""Build the frozen bundle (PyInstaller, tools/bundle/sartriage.spec) and smoke-test it here.

    .venv/bin/pip install "pyinstaller>=6.10"     # the build tool, not a dependency of sartriage
    .venv/bin/python tools/build_bundle.py [--out build/bundle]

Writes OUT/dist/sartriage/ (the `sartriage` and `sartriage-app` programs with everything they need: no Python
on the target), then, from a folder outside the checkout: `sartriage --version`, a scan of a real photo from
../shared with the shipped models, `status` of that mission, and the app started headless (it must keep
running for 10 s). Prints the build time, the bundle's size and each step's time.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SARTRIAGE_SHARED", ROOT.parent / "shared"))
PHOTO = SHARED / "data/geotagged/lacmus_ladd_335/335.jpg"


def size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink()) / 1e6


def timed(what: str, command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    start = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, timeout=900, **kwargs)  # type: ignore[call-overload]
    print(f"{what}: exit {done.returncode} in {time.monotonic() - start:.1f} s")
    if done.returncode != 0:
        sys.exit(f"{what} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return done


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build/bundle")
    args = parser.parse_args()
    pyinstaller = shutil.which("pyinstaller", path=str(Path(sys.executable).parent)) or shutil.which(
        "pyinstaller"
    )
    if pyinstaller is None:
        sys.exit('PyInstaller is not installed: .venv/bin/pip install "pyinstaller>=6.10"')
    dist, work = args.out / "dist", args.out / "work"
    timed(
        "build",
        [pyinstaller, "--noconfirm", "--log-level", "WARN", "--distpath", str(dist), "--workpath", str(work),
         str(ROOT / "tools/bundle/sartriage.spec")],
    )  # fmt: skip
    bundle = dist / "sartriage"
    print(f"bundle: {bundle} ({size_mb(bundle):,.0f} MB, {sum(1 for _ in bundle.rglob('*'))} files)")
    cli, app = bundle / "sartriage", bundle / "sartriage-app"
    with tempfile.TemporaryDirectory() as tmp:
        here = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
        env |= {"QT_QPA_PLATFORM": "offscreen", "HOME": str(here)}
        print(timed("--version", [str(cli), "--version"], cwd=here, env=env).stdout.strip())
        card = here / "card"
        card.mkdir()
        shutil.copy(PHOTO, card)
        timed("scan", [str(cli), "scan", str(card), "--db", str(here / "m.sqlite")], cwd=here, env=env)
        print(timed("status", [str(cli), "status", "--db", str(here / "m.sqlite")], cwd=here, env=env).stdout)
        start = time.monotonic()
        window = subprocess.Popen([str(app)], cwd=here, env=env, stderr=subprocess.PIPE, text=True)
        try:
            time.sleep(10)
            if window.poll() is not None:
                sys.exit(f"the app ended at once: {window.communicate()[1][-4000:]}")
        finally:
            window.terminate()
            window.communicate(timeout=30)
        print(f"app: kept running for {time.monotonic() - start:.0f} s headless")
    return 0


if __name__ == "__main__":
    sys.exit(main())
