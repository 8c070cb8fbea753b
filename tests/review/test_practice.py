"""The practice examples shipped with the volunteer page: small, attributed, and their boxes inside them."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

PRACTICE = Path(__file__).resolve().parents[2] / "sartriage" / "review" / "static" / "practice"


def test_each_practice_example_is_small_attributed_and_boxed_inside() -> None:
    items = json.loads((PRACTICE / "practice.json").read_text())["items"]
    attribution = (PRACTICE / "ATTRIBUTION.md").read_text()
    assert {i["truth"] for i in items} == {"person", "no_person"}
    assert sum((PRACTICE / i["image"]).stat().st_size for i in items) < 80_000
    for item in items:
        assert f"`{item['image']}`" in attribution
        assert item["where"] and item["explain"]
        with Image.open(PRACTICE / item["image"]) as image:
            width, height = image.size
        assert bool(item["boxes"]) == (item["truth"] == "person")
        for x, y, w, h in item["boxes"]:
            assert 0 <= x <= x + w <= width and 0 <= y <= y + h <= height
