"""Half-sent requests (Slowloris) against a real server on loopback: they are cut off, others get in."""

from __future__ import annotations

import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from review_fixtures import free_port

from sartriage.review.server import ReviewSettings, create_app
from sartriage.review.server.protocol import GuardedH11Protocol, uvicorn_options
from sartriage.store import open_store

HALF_SENT = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "


@pytest.fixture
def port(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    monkeypatch.setattr(GuardedH11Protocol, "HEADER_TIMEOUT_S", 1.0)
    monkeypatch.setattr(GuardedH11Protocol, "MAX_PER_ADDRESS", 20)
    with open_store(tmp_path / "m.sqlite") as store:
        chosen = free_port()
        app = create_app(ReviewSettings(db=store.location), store=store)
        server = uvicorn.Server(uvicorn.Config(app, **uvicorn_options("127.0.0.1", chosen)))  # type: ignore[arg-type]
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        yield chosen
        server.should_exit = True
        thread.join(10)


def closed_by_server(sock: socket.socket, within_s: float) -> bool:
    sock.settimeout(within_s)
    try:
        return sock.recv(1) == b""
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


def test_half_sent_requests_are_cut_off_and_one_address_cannot_hold_every_socket(port: int) -> None:
    slow = []
    for _ in range(20):
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall(HALF_SENT)
        slow.append(sock)
    extra = socket.create_connection(("127.0.0.1", port))
    assert closed_by_server(extra, 2.0)  # over the per-address cap: closed at once
    assert all(closed_by_server(sock, 3.0) for sock in slow)  # headers never finished: cut off
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as reply:
        assert reply.status == 200
    for sock in (*slow, extra):
        sock.close()
