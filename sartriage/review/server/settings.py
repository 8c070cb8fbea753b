"""What a review server is started with; nothing is read from the environment at import time."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from sartriage.review.tiles import TileImageSettings
from sartriage.review.values import QueueSettings


@dataclass(frozen=True)
class ReviewSettings:
    db: str  # a mission store path or database URL
    queue: QueueSettings = field(default_factory=QueueSettings)
    images: TileImageSettings = field(default_factory=TileImageSettings)
    public_url: str | None = None  # how volunteers reach this server; default: the URL a request came to
    max_body_bytes: int = 16 * 1024  # JSON bodies here are tiny; anything larger is refused with 413
    rate_per_second: float = 20.0  # sustained requests per volunteer (after their token is checked)
    rate_burst: int = 60
    address_per_second: float = 200.0  # per client address, before anything is parsed (a venue's NAT
    address_burst: int = 600  # shares one address among many volunteers)
    failed_auth_per_minute: float = 10.0  # wrong or unknown tokens per address before 429
    warm_threads: int = 2  # threads cutting the next tiles' pictures ahead of the page asking

    def to_json(self) -> str:
        """The settings as one JSON text (handed to worker processes through their environment)."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ReviewSettings:
        data = json.loads(text)
        return cls(
            **{
                **data,
                "queue": QueueSettings(**data["queue"]),
                "images": TileImageSettings(**data["images"]),
            }
        )
