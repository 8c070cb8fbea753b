"""The volunteer page in a real headless Chromium: join by invite link, answer by keyboard and by touch."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from review_fixtures import LACMUS, add_flight, add_frame, add_tiles, free_port
from sqlalchemy import select

from sartriage.review import QueueSettings, ReviewQueue
from sartriage.review.server import ReviewSettings, create_app
from sartriage.store import Store, open_store, schema

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra")
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass(frozen=True)
class LiveServer:
    url: str
    store: Store
    queue: ReviewQueue


@pytest.fixture
def live(tmp_path: Path, shared_data: Path) -> Iterator[LiveServer]:
    with open_store(tmp_path / "m.sqlite") as store:
        frame = add_frame(store, add_flight(store, "f"), shared_data / LACMUS, width=4000, height=3000)
        add_tiles(
            store, frame, [(x, 1340, 640, 640) for x in range(0, 3840, 640)], [0.9, 0.8, 0.7, 0.6, 0.5, 0.4]
        )
        settings = QueueSettings(sync_seconds=0, exam_size=0, honeypot_rate=0)
        queue = ReviewQueue(store, settings)
        port = free_port()
        app = create_app(ReviewSettings(db=str(store.location), queue=settings), store=store)
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        for _ in range(200):
            if server.started:
                break
            time.sleep(0.05)
        try:
            yield LiveServer(f"http://127.0.0.1:{port}", store, queue)
        finally:
            server.should_exit = True
            thread.join(timeout=10)


@pytest.fixture
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed at /usr/bin/chromium")
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield launched
        finally:
            launched.close()


def wait_until(page, predicate: str, arg: object = None, timeout_s: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    """Poll a JS predicate from Python (wait_for_function polls with eval, which the page's CSP forbids)."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(predicate, arg):
        assert time.monotonic() < deadline, f"timed out waiting for {predicate}: {page.inner_text('body')}"
        time.sleep(0.05)


def stored_answers(store: Store) -> list[tuple[str, int]]:
    with store.connect() as conn:
        rows = conn.execute(
            select(schema.answers.c.answer, schema.answers.c.tile_id).order_by(schema.answers.c.id)
        )
        return [(r.answer, r.tile_id) for r in rows]


def test_a_volunteer_joins_and_answers_with_the_keyboard(live: LiveServer, browser) -> None:  # type: ignore[no-untyped-def]
    _, token = live.queue.invite("Keyboard Kate")
    page = browser.new_page()
    page.goto(f"{live.url}/#invite={token}")
    page.wait_for_selector("body[data-assignment]")
    assert "invite" not in page.url  # the token left the address bar
    wait_until(page, "() => document.getElementById('tile').naturalWidth === 640")
    # the next tile was prefetched while the first is on screen
    for _ in range(50):
        if live.queue.status().leased == 2:
            break
        time.sleep(0.1)
    assert live.queue.status().leased == 2

    page.keyboard.press("z")
    assert page.get_attribute("#viewer", "data-zoom") == "2"
    page.keyboard.press(" ")
    page.wait_for_selector("#viewer.context")
    wait_until(page, "() => document.getElementById('tile').naturalWidth > 640")
    page.keyboard.press(" ")
    page.wait_for_selector("#viewer:not(.context)")

    shown = []
    for n, key in enumerate(["1", "2", "3"], 1):
        shown.append(page.get_attribute("body", "data-assignment"))
        page.keyboard.press(key)
        page.wait_for_selector(f"body[data-answered='{n}']")
    assert len(set(shown)) == 3
    answers = stored_answers(live.store)
    assert [a for a, _ in answers] == ["person", "no_person", "unsure"]
    assert len({t for _, t in answers}) == 3
    assert "3 answered" in page.inner_text("#progress")

    for key in [
        "2",
        "2",
    ]:  # no waiting for answers: each press shows the prefetched tile, answers go in order
        before = page.get_attribute("body", "data-assignment")
        page.keyboard.press(key)
        wait_until(page, "(before) => document.body.dataset.assignment !== before", before)
    page.keyboard.press("1")
    page.wait_for_selector("body[data-answered='6']")
    answers = stored_answers(live.store)
    assert [a for a, _ in answers] == ["person", "no_person", "unsure", "no_person", "no_person", "person"]
    assert len({t for _, t in answers}) == 6
    wait_until(page, "() => document.getElementById('message').textContent.includes('no tile needs review')")


def test_the_page_works_by_touch_on_a_phone(live: LiveServer, browser) -> None:  # type: ignore[no-untyped-def]
    _, token = live.queue.invite("Phone Pavel")
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    page = context.new_page()
    page.goto(f"{live.url}/#invite={token}")
    page.wait_for_selector("body[data-assignment]")
    box = page.locator("#tile").bounding_box()
    assert box["width"] > 300  # the tile fills the phone's width
    page.tap("#btn-no-person")
    page.wait_for_selector("body[data-answered='1']")
    page.tap("#btn-person")
    page.wait_for_selector("body[data-answered='2']")
    assert [a for a, _ in stored_answers(live.store)] == ["no_person", "person"]
    context.close()


def test_an_invalid_invite_says_what_to_do(live: LiveServer, browser) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    page.goto(f"{live.url}/#invite=not-a-real-token")
    wait_until(page, "() => document.getElementById('message').textContent.includes('coordinator')")
    assert page.is_disabled("#btn-person")
