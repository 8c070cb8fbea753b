"""The review server run inside the app: the core's FastAPI app under uvicorn on a thread."""

from __future__ import annotations

import logging
import socket
import threading
import time
from dataclasses import dataclass

import uvicorn

from sartriage.errors import ReviewError
from sartriage.review import ReviewQueue
from sartriage.review.links import remember_url, server_url
from sartriage.review.server import ReviewSettings, create_app
from sartriage.review.server.protocol import uvicorn_options
from sartriage.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Running:
    url: str  # how volunteers reach it
    coordinator_token: str


class ReviewServer:
    def __init__(self) -> None:
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.running: Running | None = None

    @property
    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, store: Store, host: str, port: int, timeout_s: float = 15.0) -> Running:
        """Start serving (blocking until it listens, so call it off the GUI thread)."""
        if self.is_running:
            raise ReviewError("the review server is already running; stop it first")
        if not 1 <= port <= 65535:
            raise ReviewError(f"port {port} is not a port number; choose one from 1024 to 65535")
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((host, port))
            except OSError as exc:
                raise ReviewError(
                    f"{host}:{port} cannot be used ({exc.strerror}); choose another port or stop what uses it"
                ) from exc
        url = server_url(host, port)
        token = ReviewQueue(store).coordinator_token()
        app = create_app(ReviewSettings(db=store.location, public_url=url), store=store)
        config = uvicorn.Config(app, **uvicorn_options(host, port))  # type: ignore[arg-type]
        server = uvicorn.Server(config)
        thread = threading.Thread(target=self._serve, args=(server,), name="review-server", daemon=True)
        thread.start()
        deadline = time.monotonic() + timeout_s
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                raise ReviewError(f"the review server did not start on {host}:{port}; see the log")
            time.sleep(0.05)
        self._server, self._thread = server, thread
        remember_url(store, url)  # invite links made from the CLI now point here too
        self.running = Running(url, token)
        log.info("review server listening on %s:%d (volunteers: %s)", host, port, url)
        return self.running

    @staticmethod
    def _serve(server: uvicorn.Server) -> None:
        try:
            server.run()
        except SystemExit:  # uvicorn exits when it cannot bind
            log.error("the review server stopped at start")

    def stop(self, timeout_s: float = 10.0) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout_s)
        self._server = self._thread = None
        self.running = None
