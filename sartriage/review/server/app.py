"""The review server's app factory: ``create_app(settings)`` builds a FastAPI app over one mission store."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from sartriage import __version__
from sartriage.errors import Conflict, Forbidden, FrameError, NotFound, ReviewError, StoreError
from sartriage.review.queue import ReviewQueue
from sartriage.review.server.deps import CallerLimits, ReviewContext
from sartriage.review.server.limits import BodySizeLimit, RateLimit
from sartriage.review.server.routers import coordinator, pages, volunteer
from sartriage.review.server.settings import ReviewSettings
from sartriage.review.tiles import TileImages
from sartriage.store import Store, open_store

log = logging.getLogger(__name__)

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' blob:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def create_app(settings: ReviewSettings, *, store: Store | None = None) -> FastAPI:
    """A review server over ``settings.db`` (or an already open ``store``, which the caller closes)."""
    owned = store is None
    store = store or open_store(settings.db)
    queue = ReviewQueue(store, settings.queue)
    images = TileImages(store, settings.images)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        warmer = ThreadPoolExecutor(max(1, settings.warm_threads), thread_name_prefix="tile-warm")
        app.state.review = ReviewContext(settings, queue, images, warmer, CallerLimits.of(settings))
        queue.sync()
        try:
            yield
        finally:
            warmer.shutdown(wait=False, cancel_futures=True)
            images.close()
            if owned:
                store.close()

    app = FastAPI(
        title="sartriage review",
        version=__version__,
        summary="Volunteers review drone tiles; the coordinator watches the queue and decides disputes.",
        lifespan=lifespan,
        docs_url=None,  # the Swagger page loads from a CDN, and the field has no internet
        redoc_url=None,
    )
    app.include_router(volunteer.router)
    app.include_router(coordinator.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=pages.STATIC), name="static")
    _handle_errors(app)

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    app.add_middleware(RateLimit, per_second=settings.address_per_second, burst=settings.address_burst)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    return app


def _handle_errors(app: FastAPI) -> None:
    statuses: list[tuple[type[Exception], int]] = [
        (NotFound, 404),
        (Forbidden, 403),
        (Conflict, 409),
        (ReviewError, 400),
        (FrameError, 503),
        (StoreError, 503),
    ]
    for kind, code in statuses:

        def handler(request: Request, exc: Exception, code: int = code) -> JSONResponse:
            if code == 503:
                log.error("%s %s: %s", request.method, request.url.path, exc)
                detail = "the mission store or a frame cannot be read right now; try again shortly"
            else:
                detail = str(exc)
            return JSONResponse({"detail": detail}, status_code=code)

        app.add_exception_handler(kind, handler)
