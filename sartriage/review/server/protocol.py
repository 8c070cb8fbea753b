"""uvicorn's HTTP/1.1 protocol with the two guards it lacks against slow clients (Slowloris).

uvicorn never times out a request whose headers arrive one byte at a time, so a thousand half-sent
requests exhaust the process's file descriptors and nobody else gets in. Here a connection must send
complete request headers within ``HEADER_TIMEOUT_S`` of opening (or of its previous response), and one
client address may hold at most ``MAX_PER_ADDRESS`` connections at once.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import ClassVar

from uvicorn.protocols.http.h11_impl import H11Protocol


class GuardedH11Protocol(H11Protocol):
    HEADER_TIMEOUT_S: ClassVar[float] = 10.0
    # browsers open about six connections each; a venue's NAT puts many volunteers behind one address
    MAX_PER_ADDRESS: ClassVar[int] = 256
    _open: ClassVar[Counter[str]] = Counter()  # per event loop, i.e. per process: no lock needed

    _header_timer: asyncio.TimerHandle | None = None
    _address: str | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        address = self.client[0] if self.client else "?"
        if self._open[address] >= self.MAX_PER_ADDRESS:
            transport.close()
            return
        self._address = address
        self._open[address] += 1
        self._arm()

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(self.HEADER_TIMEOUT_S, self._too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _too_slow(self) -> None:
        self._header_timer = None
        if self.cycle is None or self.cycle.response_complete:  # still waiting for a request's headers
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.cycle is not None and not self.cycle.response_complete:
            self._disarm()  # the headers are in: the request is the app's now

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if self._address is not None:
            self._open[self._address] -= 1
            if self._open[self._address] <= 0:
                del self._open[self._address]
            self._address = None
        super().connection_lost(exc)


def uvicorn_options(host: str, port: int) -> dict[str, object]:
    """How every review server (the CLI's, the app's) runs under uvicorn."""
    return {
        "host": host,
        "port": port,
        "log_level": "warning",
        "access_log": False,
        # browsers keep connections open between tiles; a short keep-alive makes them race the close
        "timeout_keep_alive": 30,
        "http": GuardedH11Protocol,
    }
