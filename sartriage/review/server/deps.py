"""Dependencies of the review routes: the server's context and who is calling."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from sartriage.review.queue import ReviewQueue
from sartriage.review.server.limits import Buckets
from sartriage.review.server.settings import ReviewSettings
from sartriage.review.tiles import TileImages
from sartriage.review.values import Volunteer


@dataclass(frozen=True)
class CallerLimits:
    """Per volunteer (after authentication) and failed authentications per client address."""

    identity: Buckets
    failures: Buckets

    @classmethod
    def of(cls, settings: ReviewSettings) -> CallerLimits:
        per_minute = settings.failed_auth_per_minute
        return cls(
            Buckets(settings.rate_per_second, settings.rate_burst),
            Buckets(per_minute / 60.0, max(1.0, per_minute)),
        )


@dataclass(frozen=True)
class ReviewContext:
    settings: ReviewSettings
    queue: ReviewQueue
    images: TileImages
    warmer: ThreadPoolExecutor
    limits: CallerLimits


def review_context(request: Request) -> ReviewContext:
    return request.app.state.review


Context = Annotated[ReviewContext, Depends(review_context)]
_bearer = HTTPBearer(auto_error=False, description="a volunteer's invite token, or the coordinator token")


def _slow_down(wait: float) -> HTTPException:
    return HTTPException(
        status.HTTP_429_TOO_MANY_REQUESTS,
        "too many requests; slow down",
        headers={"Retry-After": str(max(1, round(wait)))},
    )


def caller(
    request: Request,
    context: Context,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Volunteer:
    who = context.queue.authenticate(credentials.credentials) if credentials else None
    if who is None:
        wait = context.limits.failures.allow(request.client.host if request.client else "?")
        if wait:  # guessing tokens: refused before the next guess is even looked up
            raise _slow_down(wait)
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "a valid token is needed: open your invite link again, or ask the coordinator for a new one",
            headers={"WWW-Authenticate": "Bearer"},
        )
    wait = context.limits.identity.allow(f"caller:{who.id}")
    if wait:
        raise _slow_down(wait)
    return who


def volunteer(who: Annotated[Volunteer, Depends(caller)]) -> Volunteer:
    if who.role != "volunteer":
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "volunteers only: the coordinator token cannot review tiles"
        )
    return who


def coordinator(who: Annotated[Volunteer, Depends(caller)]) -> Volunteer:
    if not who.is_coordinator:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the coordinator only")
    return who


CurrentVolunteer = Annotated[Volunteer, Depends(volunteer)]
Coordinator = Annotated[Volunteer, Depends(coordinator)]
