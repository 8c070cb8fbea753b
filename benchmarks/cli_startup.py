"""Start-up time of the command line: `--version`, `--help` and a command's own `--help`, whole process.

Run: .venv/bin/python benchmarks/cli_startup.py [--runs 7]
Prints the median and the slowest wall time of each, and the ratio to a bare `python -c pass`.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

SARTRIAGE = Path(sys.executable).with_name("sartriage")
CALLS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "sartriage --version": [SARTRIAGE, "--version"],
    "sartriage --help": [SARTRIAGE, "--help"],
    "sartriage status --help": [SARTRIAGE, "status", "--help"],
    "sartriage scan --help": [SARTRIAGE, "scan", "--help"],
}


def timed(command: list) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    times: dict[str, list[float]] = {name: [] for name in CALLS}
    for _ in range(args.runs):  # alternating, so a busy moment hits every call alike
        for name, command in CALLS.items():
            times[name].append(timed(command))
    bare = statistics.median(times["python -c pass"])
    print(f"{'call':<26} {'median':>8} {'slowest':>8} {'x bare python':>14}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:<26} {median:>7.2f}s {max(values):>7.2f}s {median / bare:>13.1f}x")


if __name__ == "__main__":
    main()
