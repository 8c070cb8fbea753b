"""Dependencies of the review routes: the server's context and who is calling."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from sartriage.review.queue import ReviewQueue
from sartriage.review.server.settings import ReviewSettings
from sartriage.review.tiles import TileImages
from sartriage.review.values import Volunteer


@dataclass(frozen=True)
class ReviewContext:
    settings: ReviewSettings
    queue: ReviewQueue
    images: TileImages
    warmer: ThreadPoolExecutor


def review_context(request: Request) -> ReviewContext:
    return request.app.state.review


Context = Annotated[ReviewContext, Depends(review_context)]
_bearer = HTTPBearer(auto_error=False, description="a volunteer's invite token, or the coordinator token")


def caller(
    context: Context, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Volunteer:
    who = context.queue.authenticate(credentials.credentials) if credentials else None
    if who is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "a valid token is needed: open your invite link again, or ask the coordinator for a new one",
            headers={"WWW-Authenticate": "Bearer"},
        )
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
