"""`sartriage review-server`, `volunteers` and `review` from the command line."""

from __future__ import annotations

import hashlib
import os
import re
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from sartriage.cli import main
from sartriage.review import QueueSettings, ReviewQueue
from sartriage.store import open_store, schema

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "review"))
from review_fixtures import HERIDAL, confirm, free_port, grid_mission  # noqa: E402


@pytest.fixture
def mission(tmp_path: Path, shared_data: Path) -> Path:
    db = tmp_path / "m.sqlite"
    image = sorted((shared_data / HERIDAL).glob("*.jpg"))[0]
    with open_store(db) as store:
        grid_mission(store, image, 2)
    return db


def test_volunteers_add_prints_a_working_invite_link(
    mission: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["volunteers", "add", "Anna Petrova", "--db", str(mission), "--url", "http://10.1.1.1:8000"])
        == 0
    )
    out = capsys.readouterr().out
    token = re.search(r"http://10\.1\.1\.1:8000/#invite=([A-Za-z0-9_-]+)", out).group(1)
    with open_store(mission) as store:
        assert ReviewQueue(store).authenticate(token).name == "Anna Petrova"


def test_volunteers_list_shows_answers_and_accuracy(
    mission: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with open_store(mission) as store:
        queue = ReviewQueue(store, QueueSettings(honeypot_rate=1.0, exam_size=0, sync_seconds=0))
        tiles = sorted(t for t in _tiles(store))
        for t in tiles[:2]:
            confirm(store, t, "confirmed")
        confirm(store, tiles[2], "rejected")
        v = queue.invite("Boris")[0].id
        for _ in range(3):  # the three known tiles, all answered "person"
            lease = queue.next_lease(v)
            queue.answer(v, lease.public_id, "person")
    assert main(["volunteers", "list", "--db", str(mission)]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if "Boris" in x)
    assert line.split()[-5:] == ["3", "3", "67%", "100%", "0%"]  # answers, known, accuracy, sens, spec


def _tiles(store) -> list[int]:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from sartriage.store import schema

    with store.connect() as conn:
        return list(conn.execute(select(schema.tiles.c.id)).scalars())


def test_revoke_and_its_errors(mission: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["volunteers", "add", "Vera", "--db", str(mission)])
    capsys.readouterr()
    assert main(["volunteers", "revoke", "1", "--db", str(mission)]) == 0
    assert "revoked volunteer 1 (Vera)" in capsys.readouterr().out
    assert main(["volunteers", "revoke", "42", "--db", str(mission)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "no volunteer with id 42" in err and "volunteers list" in err


def test_status_of_a_missing_store_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["review", "status", "--db", str(tmp_path / "nowhere.sqlite")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "nowhere.sqlite" in err


def test_review_status_and_honeypot_pack_round_trip(
    mission: Path, tmp_path: Path, shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with open_store(mission) as store:
        tiles = _tiles(store)
        confirm(store, tiles[0], "confirmed")
        confirm(store, tiles[1], "rejected")
    assert main(["review", "status", "--db", str(mission)]) == 0
    assert "6 open, 0 done, 0 escalated, 2 decided by you" in capsys.readouterr().out
    pack = tmp_path / "known.zip"
    assert main(["review", "export-honeypots", str(pack), "--db", str(mission)]) == 0
    assert "2 known tiles" in capsys.readouterr().out
    other = tmp_path / "next-mission.sqlite"
    open_store(other).close()
    assert main(["review", "import-honeypots", str(pack), "--db", str(other)]) == 0
    assert "2 known tiles added" in capsys.readouterr().out
    assert main(["review", "import-honeypots", str(pack), "--db", str(other)]) == 0
    assert "0 known tiles added" in capsys.readouterr().out


def test_review_server_prints_the_coordinator_token_and_serves(mission: Path) -> None:
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("SARTRIAGE_COORDINATOR_TOKEN", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "sartriage", "review-server", "--db", str(mission), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
        env=env,
    )
    try:
        lines = [proc.stdout.readline() for _ in range(4)]
        token = next(x.split()[-1] for x in lines if x.startswith("coordinator token"))
        assert f"http://127.0.0.1:{port}/" in lines[0]
        for _ in range(100):
            try:
                reply = httpx.get(
                    f"http://127.0.0.1:{port}/api/v1/coordinator/queue",
                    headers={"Authorization": f"Bearer {token}"},
                )
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert reply.status_code == 200 and reply.json()["open"] == 8
        assert (
            httpx.get(f"http://127.0.0.1:{port}/openapi.json").json()["info"]["title"] == "sartriage review"
        )
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    with open_store(mission) as store:  # volunteers add now uses the address the server announced
        from sartriage.review.links import known_url

        assert known_url(store) == f"http://127.0.0.1:{port}"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--flight", "1", "--amount", "3"], "flight 1: priority +3 on 8 queued tiles"),
        (["--area", "15,45,16,46"], "priority +1 on 0 queued tiles"),  # the crops have no position
    ],
)
def test_review_raise(
    mission: Path, capsys: pytest.CaptureFixture[str], args: list[str], expected: str
) -> None:
    with open_store(mission) as store:
        ReviewQueue(store).sync()
    assert main(["review", "raise", *args, "--db", str(mission)]) == 0
    assert expected in capsys.readouterr().out


def test_review_raise_takes_a_flight_by_name_like_every_command(
    mission: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with open_store(mission) as store:
        ReviewQueue(store).sync()
        with store.connect() as conn:
            name = conn.execute(select(schema.flights.c.name)).scalar_one()
    assert main(["review", "raise", "--flight", name, "--db", str(mission)]) == 0
    assert f"flight {name}: priority +1 on 8 queued tiles" in capsys.readouterr().out
    assert main(["review", "raise", "--flight", "no-such-flight", "--db", str(mission)]) == 1
    assert "no flight 'no-such-flight'" in capsys.readouterr().err


def test_review_raise_refuses_a_bad_area(mission: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["review", "raise", "--area", "15,45", "--db", str(mission)])
    assert "W,S,E,N" in capsys.readouterr().err
    assert main(["review", "raise", "--area", "16,45,15,46", "--db", str(mission)]) == 1
    assert "west < east" in capsys.readouterr().err


@pytest.mark.postgres
def test_a_server_starting_while_another_records_its_address_succeeds(pg_url: str) -> None:
    """Each review server records where volunteers reach it. One server's row is not yet committed when a
    second writes: the second waits for it, then records its own address (a check-then-insert failed here
    on the duplicate key, and the second server never started)."""
    import threading

    from sqlalchemy import insert, text

    from sartriage.review.links import URL_KEY, known_url, remember_url
    from sartriage.store import schema

    failures: list[BaseException] = []

    def second() -> None:
        try:
            remember_url(store, "http://10.0.0.2:8765")
        except BaseException as exc:  # handed to the test thread
            failures.append(exc)

    with open_store(pg_url) as store:
        writer = threading.Thread(target=second)
        with store.begin() as conn:
            conn.execute(insert(schema.store_info).values(key=URL_KEY, value="http://10.0.0.1:8765"))
            writer.start()
            waiting = text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            deadline = time.monotonic() + 30
            with store.connect() as probe:
                while not probe.execute(waiting).scalar() and time.monotonic() < deadline:
                    time.sleep(0.02)
                assert probe.execute(waiting).scalar() == 1, "the second write never waited on the first"
        writer.join(30)
        assert not failures, failures
        assert known_url(store) == "http://10.0.0.2:8765"


def _children(pid: int) -> list[str]:
    """Command lines of the processes whose parent is ``pid`` (read from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append((stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except (OSError, IndexError, ValueError):
            continue  # the process ended while we looked
    return found


def test_review_server_workers_share_one_port_and_one_queue(mission: Path) -> None:
    """With --workers 2 two processes answer on one port; volunteers drain the queue through it, and no
    tile gets more answers than it needs nor one volunteer's answer twice."""
    import threading

    from sqlalchemy import select

    from sartriage.store import schema

    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("SARTRIAGE_COORDINATOR_TOKEN", None)
    args = ["--port", str(port), "--workers", "2", "--overlap", "2", "--max-overlap", "2"]
    args += ["--exam-size", "0", "--honeypot-rate", "0"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "sartriage", "review-server", "--db", str(mission), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        lines = [proc.stdout.readline() for _ in range(5)]
        assert "workers:            2 processes on one port\n" in lines
        for _ in range(300):
            try:
                httpx.get(f"{url}/openapi.json")
                break
            except httpx.TransportError:
                assert proc.poll() is None, "".join(lines) + proc.stdout.read()
                time.sleep(0.1)
        workers = [c for c in _children(proc.pid) if "spawn_main" in c]
        assert len(workers) == 2, _children(proc.pid)
        with open_store(mission) as store:
            tokens = [ReviewQueue(store).invite(f"v{i}")[1] for i in range(3)]
        failures: list[str] = []

        def volunteer(token: str) -> None:
            head = {"Authorization": f"Bearer {token}"}
            with httpx.Client(timeout=30) as client:
                while True:
                    reply = client.post(f"{url}/api/v1/assignments", json={"holding": []}, headers=head)
                    if reply.status_code != 200:
                        failures.append(f"next {reply.status_code} {reply.text}")
                        return
                    assignment = reply.json()["assignment"]
                    if assignment is None:
                        return
                    answered = client.post(
                        f"{url}/api/v1/assignments/{assignment['id']}/answer",
                        json={"answer": "person"},
                        headers=head,
                    )
                    if answered.status_code != 200:
                        failures.append(f"answer {answered.status_code} {answered.text}")

        threads = [threading.Thread(target=volunteer, args=(t,)) for t in tokens]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not failures
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    with open_store(mission) as store, store.connect() as conn:
        review = conn.execute(select(schema.review_tiles)).all()
        pairs = conn.execute(select(schema.answers.c.volunteer_id, schema.answers.c.tile_id)).all()
    # two agreeing answers are not sure enough to close a tile (0.94 < 0.97): at the most answers allowed
    # each goes to the coordinator
    assert len(review) == 8 and all(r.state in ("done", "escalated") and r.answers == 2 for r in review)
    assert len(pairs) == 16 and len(set(pairs)) == 16


def _serve(mission: Path, *args: str, lines: int = 4) -> tuple[subprocess.Popen[str], list[str]]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("SARTRIAGE_COORDINATOR_TOKEN", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "sartriage", "review-server", "--db", str(mission), *args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT, env=env,
    )  # fmt: skip
    return proc, [proc.stdout.readline() for _ in range(lines)]


def _wait(url: str, **kwargs: object) -> httpx.Response:
    for _ in range(100):
        try:
            return httpx.get(url, **kwargs)  # type: ignore[arg-type]
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"{url} never answered")


def test_a_second_server_on_a_busy_port_changes_nothing(
    mission: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()
    proc, lines = _serve(mission, "--port", str(port))
    try:
        token = next(x.split()[-1] for x in lines if x.startswith("coordinator token"))
        head = {"Authorization": f"Bearer {token}"}
        assert _wait(f"http://127.0.0.1:{port}/api/v1/coordinator/queue", headers=head).status_code == 200
        second = [
            "review-server",
            "--db",
            str(mission),
            "--port",
            str(port),
            "--public-url",
            "http://192.168.1.50:8765",
        ]
        assert main(second) == 1
        out, err = capsys.readouterr()
        assert "coordinator token" not in out and "already running" in err
        assert httpx.get(f"http://127.0.0.1:{port}/api/v1/coordinator/queue", headers=head).status_code == 200
        with open_store(mission) as store:
            from sartriage.review.links import known_url

            assert known_url(store) == f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_a_self_signed_server_speaks_https_with_the_fingerprint_it_prints(mission: Path) -> None:
    port = free_port()
    proc, lines = _serve(mission, "--port", str(port), "--tls-self-signed", lines=5)
    try:
        assert lines[0].startswith(f"review page:        https://127.0.0.1:{port}/")
        printed = next(x for x in lines if x.startswith("certificate SHA-256")).split()[-1]
        assert _wait(f"https://127.0.0.1:{port}/openapi.json", verify=False).status_code == 200
        served = ssl.get_server_certificate(("127.0.0.1", port))
        digest = hashlib.sha256(ssl.PEM_cert_to_DER_cert(served)).hexdigest().upper()
        assert printed.replace(":", "") == digest
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert (Path(f"{mission}.tls") / "key.pem").stat().st_mode & 0o777 == 0o600


def test_every_network_without_tls_is_warned_about(mission: Path) -> None:
    proc, lines = _serve(mission, "--port", str(free_port()), "--host", "0.0.0.0", lines=5)
    try:
        assert any(x.startswith("warning: listening beyond this machine over plain HTTP") for x in lines)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_servers_on_every_network_are_announced_at_the_lan_address(monkeypatch: pytest.MonkeyPatch) -> None:
    from sartriage.review import links

    monkeypatch.setattr(links, "lan_address", lambda: "192.168.7.20")
    assert links.server_url("0.0.0.0", 8000) == "http://192.168.7.20:8000"
    assert links.server_url("10.1.1.1", 8443, tls=True) == "https://10.1.1.1:8443"


def test_review_tiles_shows_each_tiles_answers_so_far(
    mission: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with open_store(mission) as store:
        queue = ReviewQueue(store, QueueSettings(exam_size=0, honeypot_rate=0, seed=1))
        anna = queue.invite("Anna")[0].id
        lease = queue.next_lease(anna)
        queue.answer(anna, lease.public_id, "person")
    assert main(["review", "tiles", "--db", str(mission)]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith(f"tile {lease.tile_id} ") and "1/3 answers: 1 person" in first
