"""Throw the hostile files at `sartriage scan` and hostile requests at the review server; print what held.

    .venv/bin/python benchmarks/hostile_inputs.py         # about 30 seconds on 2 cores

Scan: the crafted files of ``tests/hostile_files.py`` (deep XMP, GeoTIFFs PROJ cannot place, pixel bombs,
broken transforms) next to two real HERIDAL frames from ../shared/data, through the real CLI. Printed:
files tried, frames done and failed (with each reason), crashes (a non-zero exit or a traceback), and the
scan's peak resident memory. Server: random bearer tokens, 64 spellings of "Bearer" on one volunteer's
token, and a streamed oversize body, in process; printed: requests sent and how many were refused, by code.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from sqlalchemy import select

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT / "tests"))

from hostile_files import write_hostile_set  # noqa: E402


def scan_part(folder: Path) -> None:
    from sartriage.store import open_store, schema

    good = sorted((SHARED / "labelled/heridal_crops_340/images").glob("*.jpg"))[:2]
    card = folder / "card"
    card.mkdir()
    for frame in good:
        (card / frame.name).write_bytes(frame.read_bytes())
    expected = write_hostile_set(card / "hostile")
    db = folder / "mission.sqlite"
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    done = subprocess.run(
        [sys.executable, "-m", "sartriage", "scan", str(card), "--db", str(db), "--device", "cpu"],
        capture_output=True, text=True, cwd=ROOT, timeout=600,
    )  # fmt: skip
    peak_mb = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    crashed = done.returncode != 0 or "Traceback" in done.stderr
    with open_store(db, create=False) as store, store.connect() as conn:
        rows = conn.execute(select(schema.frames.c.path, schema.frames.c.status, schema.frames.c.error)).all()
    states = Counter(r.status for r in rows)
    print(f"scan: {len(good) + len(expected)} files tried ({len(expected)} hostile, {len(good)} real frames)")
    print(f"  frames done {states['done']}, failed {states['failed']}, crashes {int(crashed)}")
    for r in rows:
        if r.status == "failed":
            print(f"  failed: {Path(r.path).name}: {r.error.split(': ', 1)[-1]}")
    print(f"  peak resident memory of the scan: {peak_mb:.0f} MB")


def server_part(folder: Path) -> None:
    from fastapi.testclient import TestClient

    from sartriage.review import QueueSettings, ReviewQueue
    from sartriage.review.server import ReviewSettings, create_app
    from sartriage.store import open_store

    with open_store(folder / "server.sqlite") as store:
        token = ReviewQueue(store).invite("Mallory")[1]
        queue = QueueSettings(exam_size=0, honeypot_rate=0)
        app = create_app(ReviewSettings(db=store.location, queue=queue), store=store)
        codes: Counter[int] = Counter()
        with TestClient(app) as client:
            for i in range(100):
                codes[
                    client.get("/api/v1/me", headers={"Authorization": f"Bearer random-{i}"}).status_code
                ] += 1
            spellings = [
                "".join(c.upper() if (n >> i) & 1 else c for i, c in enumerate("bearer")) for n in range(64)
            ]
            for word in spellings * 10:
                codes[client.get("/api/v1/me", headers={"Authorization": f"{word} {token}"}).status_code] += 1

            def chunks():  # type: ignore[no-untyped-def]
                for _ in range(64):
                    yield b"x" * 1024

            reply = client.post(
                "/api/v1/assignments", content=chunks(), headers={"Authorization": f"Bearer {token}"}
            )
            codes[reply.status_code] += 1
    sent = sum(codes.values())
    refused = sum(n for code, n in codes.items() if code >= 400)
    print(
        f"server: {sent} hostile requests, {refused} refused: "
        + ", ".join(f"{n} x {c}" for c, n in sorted(codes.items()))
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        scan_part(Path(folder))
        server_part(Path(folder))


if __name__ == "__main__":
    main()
