"""Several review-server processes on one PostgreSQL database: no tile is ever over-assigned."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from review_fixtures import free_port, grid_mission
from sqlalchemy import select

from sartriage.review import ReviewQueue
from sartriage.store import open_store, schema

ROOT = Path(__file__).resolve().parents[3]
SERVERS = 3
VOLUNTEERS = 24
MAX_OVERLAP = 3


@pytest.fixture
def servers(pg_url: str, heridal_image: Path, tmp_path: Path) -> Iterator[tuple[list[str], list[str], str]]:
    with open_store(pg_url) as store:
        grid_mission(store, heridal_image, 10)
        queue = ReviewQueue(store)
        coordinator = queue.coordinator_token()
        tokens = [queue.invite(f"v{i}")[1] for i in range(VOLUNTEERS)]
    ports = [free_port() for _ in range(SERVERS)]
    options = [
        "--coordinator-token",
        coordinator,
        "--exam-size",
        "0",
        "--honeypot-rate",
        "0",
        "--rate",
        "1000",
    ]
    options += ["--overlap", "2", "--max-overlap", str(MAX_OVERLAP)]
    logs = [(tmp_path / f"server-{port}.log").open("w+b") for port in ports]
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sartriage",
                "review-server",
                "--db",
                pg_url,
                "--port",
                str(port),
                *options,
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=log,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        for port, log in zip(ports, logs, strict=True)
    ]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for url, proc in zip(urls, procs, strict=True):
            for _ in range(300):
                try:
                    httpx.get(f"{url}/openapi.json")
                    break
                except httpx.TransportError:
                    assert proc.poll() is None, f"server {url} did not start; see {tmp_path}"
                    time.sleep(0.1)
        yield urls, tokens, coordinator
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=20)
        for log in logs:
            log.close()


def test_many_servers_share_one_queue_without_over_assigning(servers, pg_url: str) -> None:  # type: ignore[no-untyped-def]
    urls, tokens, coordinator = servers
    acknowledged: list[tuple[str, str]] = []
    failures: list[str] = []
    lock = threading.Lock()

    def volunteer(token: str, seed: int) -> None:
        rng = random.Random(seed)
        head = {"Authorization": f"Bearer {token}"}
        with httpx.Client(timeout=30) as client:
            while True:
                url = rng.choice(urls)  # each request may land on any server
                reply = client.post(f"{url}/api/v1/assignments", json={"holding": []}, headers=head)
                if reply.status_code != 200:
                    with lock:
                        failures.append(f"next {reply.status_code} {reply.text}")
                    return
                assignment = reply.json()["assignment"]
                if assignment is None:
                    return
                value = rng.choice(["person", "no_person"])
                answered = client.post(
                    f"{rng.choice(urls)}/api/v1/assignments/{assignment['id']}/answer",
                    json={"answer": value},
                    headers=head,
                )
                with lock:
                    if answered.status_code == 200:
                        acknowledged.append((assignment["id"], value))
                    else:
                        failures.append(f"answer {answered.status_code} {answered.text}")

    threads = [threading.Thread(target=volunteer, args=(t, i)) for i, t in enumerate(tokens)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=240)
    assert not failures
    with open_store(pg_url) as store, store.connect() as conn:
        review = conn.execute(select(schema.review_tiles)).all()
        answers = conn.execute(
            select(
                schema.answers.c.volunteer_id, schema.answers.c.tile_id, schema.assignments.c.public_id
            ).join(schema.assignments, schema.assignments.c.id == schema.answers.c.assignment_id)
        ).all()
    per_tile = Counter(a.tile_id for a in answers)
    assert all(r.state in ("done", "escalated") for r in review)  # the queue ran dry
    assert all(per_tile[r.tile_id] == r.answers <= r.needed <= MAX_OVERLAP for r in review)
    assert len({(a.volunteer_id, a.tile_id) for a in answers}) == len(answers)
    assert sorted(a.public_id for a in answers) == sorted(i for i, _ in acknowledged)
    status = httpx.get(
        f"{urls[0]}/api/v1/coordinator/queue", headers={"Authorization": f"Bearer {coordinator}"}
    )
    assert status.json()["answers"] == len(acknowledged) and status.json()["leased"] == 0
