"""The app of one worker process of ``sartriage review-server --workers N``.

uvicorn starts each worker by importing this factory, so the settings travel from the parent command
through the environment; every worker opens its own connection to the shared mission store.
"""

from __future__ import annotations

import os

from fastapi import FastAPI

from sartriage.review.server.app import create_app
from sartriage.review.server.settings import ReviewSettings

SETTINGS_ENV = "SARTRIAGE_REVIEW_SETTINGS"


def app_from_environment() -> FastAPI:
    text = os.environ.get(SETTINGS_ENV)
    if not text:
        raise RuntimeError(f"{SETTINGS_ENV} is not set: start workers through `sartriage review-server`")
    return create_app(ReviewSettings.from_json(text))
