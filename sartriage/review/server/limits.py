"""Request size and rate limits, as plain ASGI middleware (they run before any body is parsed)."""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from typing import Any

Scope = dict[str, Any]
Message = dict[str, Any]


async def _reply(
    send: Any, status: int, detail: str, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
            + (headers or []),
        }
    )
    await send({"type": "http.response.body", "body": body})


class _TooLarge(BaseException):
    """Not an ``Exception``: FastAPI turns any Exception raised while reading a body into a 400."""


class BodySizeLimit:
    """Refuse bodies over ``max_bytes`` with 413, whether announced by Content-Length or streamed."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        too_large = f"request body over {self.max_bytes} bytes; send only the fields the API asks for"
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await _reply(send, 413, too_large)
            return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except (_TooLarge, BaseExceptionGroup) as exc:
            if isinstance(exc, BaseExceptionGroup) and not exc.subgroup(_TooLarge):
                raise  # middleware run in task groups wrap what they pass on
            if not started:
                await _reply(send, 413, too_large)


def clock() -> float:
    """The buckets' time in seconds (a function of its own so tests can hold it still)."""
    return time.monotonic()


class Buckets:
    """Token buckets by key: ``per_second`` sustained, ``burst`` at once; the oldest keys are forgotten."""

    def __init__(self, per_second: float, burst: float, max_keys: int = 50_000) -> None:
        self.per_second = per_second
        self.burst = float(burst)
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, key: str, now: float | None = None) -> float:
        """0 when the request may go ahead (a token is taken), else seconds to wait."""
        now = clock() if now is None else now
        with self._lock:
            tokens, last = self._buckets.pop(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.per_second)
            wait = 0.0 if tokens >= 1 else (1 - tokens) / self.per_second
            if not wait:
                tokens -= 1
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        return wait


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    return client[0] if client else "?"


class RateLimit:
    """A token bucket per client address, before anything is parsed. Headers play no part in the key: a
    caller cannot make new buckets by changing its token or its spelling. Volunteers sharing one address
    (a venue's NAT) share this budget, so it is larger than the per-volunteer one applied after
    authentication (``deps.caller``)."""

    def __init__(self, app: Any, per_second: float, burst: int) -> None:
        self.app = app
        self.buckets = Buckets(per_second, burst)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope.get("path", "").startswith("/api/"):
            wait = self.buckets.allow(client_address(scope))
            if wait:
                await too_many(send, wait)
                return
        await self.app(scope, receive, send)


async def too_many(send: Any, wait: float) -> None:
    retry = str(max(1, round(wait)))
    await _reply(send, 429, "too many requests; slow down", [(b"retry-after", retry.encode())])
