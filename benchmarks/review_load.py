"""Load test of the review server: many simulated volunteers against one server on loopback.

    .venv/bin/python benchmarks/review_load.py [--volunteers 200] [--seconds 30] [--db URL] [--workers N]

Builds a mission store from the real HERIDAL crops in ../shared (9 overlapping tiles per
crop, a few of them confirmed so there are honeypots and an entry exam), starts
``sartriage review-server`` on 127.0.0.1 in its own process, and lets each volunteer loop
for a bounded time: ask for the next tile, download its picture, answer. Prints answers
per second, p50/p99 latency per request kind, and then checks in the store that no tile
got more than its maximum answers, no volunteer answered a tile twice, and the answers
stored equal the answers the server acknowledged.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import IO

import httpx
import numpy as np
from sqlalchemy import insert, select

from sartriage.review import ReviewQueue
from sartriage.store import open_store, schema, utcnow

ROOT = Path(__file__).resolve().parents[1]
HERIDAL = ROOT.parent / "shared" / "data" / "labelled" / "heridal_crops_340" / "images"
MAX_OVERLAP = 5


def build_mission(db: str, n_volunteers: int) -> tuple[str, list[str], int]:
    images = sorted(HERIDAL.glob("*.jpg"))
    if not images:
        sys.exit(f"no HERIDAL crops at {HERIDAL}: the benchmark needs ../shared beside the checkout")
    windows = [(x, y, 170, 170) for y in (0, 85, 170) for x in (0, 85, 170)]
    rng = np.random.default_rng(0)
    with open_store(db) as store, store.begin() as conn:
        flight = conn.execute(
            insert(schema.flights).values(
                mission_id=store.mission_id(),
                name="bench",
                folder=str(HERIDAL),
                created_at=utcnow(),
                priority=0,
            )
        ).inserted_primary_key[0]
        tiles = []
        for path in images:
            frame = conn.execute(
                insert(schema.frames).values(
                    flight_id=flight,
                    path=str(path),
                    content_hash=hashlib.sha256(str(path).encode()).hexdigest(),
                    size_bytes=path.stat().st_size,
                    status="done",
                    width=340,
                    height=340,
                )
            ).inserted_primary_key[0]
            rows = [
                dict(
                    frame_id=frame,
                    x=x,
                    y=y,
                    w=w,
                    h=h,
                    scale=1.0,
                    score=float(rng.uniform(0.2, 0.7)),
                    state="review",
                )
                for x, y, w, h in windows
            ]
            tiles += [conn.execute(insert(schema.tiles).values(**r)).inserted_primary_key[0] for r in rows]
        for tile in tiles[:40]:  # tiles the coordinator found empty: honeypots and the entry exam
            conn.execute(
                insert(schema.hits).values(
                    tile_id=tile,
                    source="detector",
                    status="rejected",
                    x=85.0,
                    y=85.0,
                    confidence=0.9,
                    note="",
                    created_at=utcnow(),
                )
            )
    with open_store(db) as store:
        queue = ReviewQueue(store)
        coordinator = queue.coordinator_token()
        tokens = [queue.invite(f"bench-{i}")[1] for i in range(n_volunteers)]
    return coordinator, tokens, len(tiles)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db: str, port: int, coordinator: str, log: IO[bytes], workers: int) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "sartriage", "review-server", "--db", db, "--host", "127.0.0.1",
        "--port", str(port), "--coordinator-token", coordinator, "--rate", "1000",
        "--max-overlap", str(MAX_OVERLAP), "--workers", str(workers),
    ]  # fmt: skip
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            httpx.get(f"{url}/openapi.json", timeout=2)
            return proc
        except httpx.TransportError:
            if proc.poll() is not None:
                log.seek(0)
                sys.exit(f"the server did not start: {log.read().decode()[-2000:]}")
            time.sleep(0.1)
    proc.terminate()
    sys.exit("the server did not answer within 30 s")


class Tally:
    def __init__(self) -> None:
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.statuses: Counter[str] = Counter()
        self.acknowledged: list[str] = []


async def volunteer(
    client: httpx.AsyncClient, token: str, deadline: float, tally: Tally, seed: int, think: float
) -> None:
    rng = random.Random(seed)
    head = {"Authorization": f"Bearer {token}"}

    async def call(kind: str, method: str, path: str, **kwargs: object) -> httpx.Response:
        start = time.perf_counter()
        try:
            reply = await client.request(method, path, headers=head, **kwargs)
        except httpx.TransportError as exc:
            tally.statuses[f"{kind} {type(exc).__name__}"] += 1
            raise
        tally.latency[kind].append(time.perf_counter() - start)
        tally.statuses[f"{kind} {reply.status_code}"] += 1
        return reply

    await call("join", "POST", "/api/v1/join")
    reply = await call("next", "POST", "/api/v1/assignments", json={"holding": []})
    assignment = reply.json().get("assignment") if reply.status_code == 200 else None
    while assignment is not None and time.monotonic() < deadline:
        await call("image", "GET", assignment["image"])
        if think:
            await asyncio.sleep(rng.uniform(0.5, 1.5) * think)  # a person looking at the tile
        # mostly right on the known tiles, which are all empty here; some fail the entry check and stop
        answer = rng.choices(["no_person", "person", "unsure"], weights=[85, 10, 5])[0]
        path = f"/api/v1/assignments/{assignment['id']}/answer"
        reply = await call("answer", "POST", path, json={"answer": answer, "next": {"holding": []}})
        if reply.status_code != 200:
            return
        tally.acknowledged.append(assignment["id"])
        assignment = reply.json()["next"]["assignment"]  # None: the queue ran dry or the entry check failed


async def run_load(url: str, tokens: list[str], seconds: float, think: float) -> tuple[Tally, float]:
    tally = Tally()
    limits = httpx.Limits(max_connections=len(tokens), max_keepalive_connections=len(tokens))
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        start = time.monotonic()
        deadline = start + seconds
        outcomes = await asyncio.gather(
            *(volunteer(client, t, deadline, tally, i, think) for i, t in enumerate(tokens)),
            return_exceptions=True,
        )
        tally.statuses.update(f"volunteer stopped: {type(o).__name__}" for o in outcomes if o is not None)
        elapsed = time.monotonic() - start
    return tally, elapsed


def check_invariants(db: str, acknowledged: list[str]) -> dict[str, bool]:
    with open_store(db) as store, store.connect() as conn:
        review = conn.execute(select(schema.review_tiles.c.tile_id, schema.review_tiles.c.needed)).all()
        stored = conn.execute(
            select(
                schema.answers.c.volunteer_id, schema.answers.c.tile_id, schema.assignments.c.public_id
            ).join(schema.assignments, schema.assignments.c.id == schema.answers.c.assignment_id)
        ).all()
    per_tile = Counter(a.tile_id for a in stored if a.tile_id is not None)
    pairs = [(a.volunteer_id, a.tile_id) for a in stored if a.tile_id is not None]
    return {
        f"no tile above its maximum answers ({MAX_OVERLAP})": all(
            per_tile[r.tile_id] <= min(r.needed, MAX_OVERLAP) for r in review
        ),
        "no volunteer answered a tile twice": len(pairs) == len(set(pairs)),
        f"answers stored ({len(stored)}) = answers acknowledged ({len(acknowledged)})": sorted(
            a.public_id for a in stored
        )
        == sorted(acknowledged),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--volunteers", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="mean seconds a volunteer looks at a tile (0: as fast as served)",
    )
    parser.add_argument(
        "--db", help="a postgresql:// URL of an EMPTY database (default: a temporary SQLite file)"
    )
    parser.add_argument("--workers", type=int, default=1, help="server processes (review-server --workers)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or str(Path(tmp) / "bench.sqlite")
        coordinator, tokens, n_tiles = build_mission(db, args.volunteers)
        port = free_port()
        log = (Path(tmp) / "server.log").open("w+b")
        server = start_server(db, port, coordinator, log, args.workers)
        try:
            tally, elapsed = asyncio.run(
                run_load(f"http://127.0.0.1:{port}", tokens, args.seconds, args.think)
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
            log.seek(0)
            errors = log.read().decode(errors="replace").strip()
            log.close()
            if errors:
                print(f"server log (last lines):\n{errors[-3000:]}")
        backend = "PostgreSQL" if "://" in db else "SQLite"
        print(
            f"review server on 127.0.0.1 ({backend}, {args.workers} process{'es' * (args.workers > 1)}): "
            f"{len(tokens)} volunteers, {n_tiles} tiles"
        )
        print(f"think time: {args.think} s per tile on average")
        print(f"load: {elapsed:.1f} s (at most {args.seconds:.0f} s; stops early when tiles run out)")
        rate = len(tally.acknowledged) / elapsed
        print(f"answers: {len(tally.acknowledged)} acknowledged, {rate:.1f} answers/s")
        every = np.concatenate([np.array(v) for v in tally.latency.values()]) * 1000
        print(f"requests: {len(every)}, {len(every) / elapsed:.1f} req/s")
        for kind, lat in [
            *((k, np.array(tally.latency[k]) * 1000) for k in sorted(tally.latency)),
            ("all", every),
        ]:
            p50, p99 = np.percentile(lat, 50), np.percentile(lat, 99)
            print(f"  {kind:<7} n={len(lat):>6}  p50 {p50:7.1f} ms  p99 {p99:7.1f} ms")
        print("statuses:", ", ".join(f"{k}: {v}" for k, v in sorted(tally.statuses.items())))
        verdicts = check_invariants(db, tally.acknowledged)
        for name, ok in verdicts.items():
            print(f"invariant {'OK  ' if ok else 'FAIL'} {name}")
    return 0 if all(verdicts.values()) else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    raise SystemExit(main())
