"""The review server: FastAPI app factory, settings, routers per resource."""

from sartriage.review.server.app import create_app
from sartriage.review.server.settings import ReviewSettings

__all__ = ["ReviewSettings", "create_app"]
