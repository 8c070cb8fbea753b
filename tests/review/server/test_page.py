"""The volunteer page in a real headless Chromium: join by invite link, practise, take the entry check,
answer by keyboard and by touch, on a laptop and a phone."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from review_fixtures import LACMUS, add_flight, add_frame, add_tiles, confirm, free_port
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


@contextmanager
def serving(folder: Path, shared_data: Path, *, known: int = 0) -> Iterator[LiveServer]:
    """A review server over six 640 px tiles of a real search photo; the coordinator confirmed a person
    on the first ``known`` of them (known tiles for the entry check, which is 5 long when they allow)."""
    with open_store(folder / "m.sqlite") as store:
        frame = add_frame(store, add_flight(store, "f"), shared_data / LACMUS, width=4000, height=3000)
        tiles = add_tiles(
            store, frame, [(x, 1340, 640, 640) for x in range(0, 3840, 640)], [0.9, 0.8, 0.7, 0.6, 0.5, 0.4]
        )
        for tile in tiles[:known]:
            confirm(store, tile, "confirmed")
        settings = QueueSettings(sync_seconds=0, exam_size=5, honeypot_rate=0)
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
def live(tmp_path: Path, shared_data: Path) -> Iterator[LiveServer]:
    """No known tiles: no entry check."""
    with serving(tmp_path, shared_data) as server:
        yield server


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


def open_invite(browser, url: str, token: str, *, practised: bool = True, **context):  # type: ignore[no-untyped-def]
    """A page that opened the invite link, in a browser that did (or did not) do the practice before."""
    page = browser.new_context(**context).new_page()
    if practised:
        page.add_init_script("localStorage.setItem('sartriage.practised', '1')")
    page.goto(f"{url}/#invite={token}")
    return page


def stored_answers(store: Store) -> list[tuple[str, int]]:
    with store.connect() as conn:
        rows = conn.execute(
            select(schema.answers.c.answer, schema.answers.c.tile_id).order_by(schema.answers.c.id)
        )
        return [(r.answer, r.tile_id) for r in rows]


def test_a_volunteer_joins_and_answers_with_the_keyboard(live: LiveServer, browser) -> None:  # type: ignore[no-untyped-def]
    _, token = live.queue.invite("Keyboard Kate")
    page = open_invite(browser, live.url, token)
    page.wait_for_selector("body[data-assignment]")
    assert "invite" not in page.url  # the token left the address bar
    assert "answered" in page.inner_text("#progress")
    assert "entry check" not in page.inner_text("body")  # no known tiles: no entry check to speak of
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
    # the end of the queue: no picture, a sentence, and a header that does not contradict it
    wait_until(page, "() => document.getElementById('notice').textContent.includes('No tile needs review')")
    assert page.is_hidden("#tile") and page.is_disabled("#btn-person")
    header = page.inner_text("#progress")
    assert "6 answered · nothing to review right now, this page checks again every 10 s" in header
    assert "tiles open" not in header and "waiting" not in header


def test_the_page_works_by_touch_on_a_phone(live: LiveServer, browser) -> None:  # type: ignore[no-untyped-def]
    _, token = live.queue.invite("Phone Pavel")
    phone = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}
    page = open_invite(browser, live.url, token, **phone)
    context = page.context
    page.wait_for_selector("body[data-assignment]")
    wait_until(page, "() => document.getElementById('tile').naturalWidth === 640")
    assert drawn_size(page) == (390, 390)  # the tile takes the phone's full width
    page.tap("#btn-no-person")
    page.wait_for_selector("body[data-answered='1']")
    page.tap("#btn-person")
    page.wait_for_selector("body[data-answered='2']")
    assert [a for a, _ in stored_answers(live.store)] == ["no_person", "person"]
    context.close()


def test_an_invalid_invite_says_what_to_do(live: LiveServer, browser) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    page.goto(f"{live.url}/#invite=not-a-real-token")
    wait_until(page, "() => document.getElementById('notice').textContent.includes('coordinator')")
    assert page.is_disabled("#btn-person")
    assert page.is_hidden("#tile")


DRAWN_SIZE = """() => {
    const img = document.getElementById('tile');
    const scale = Math.min(img.clientWidth / img.naturalWidth, img.clientHeight / img.naturalHeight);
    return [Math.round(img.naturalWidth * scale), Math.round(img.naturalHeight * scale)];
}"""


def drawn_size(page) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """The tile's picture as drawn on screen (its element is letterboxed with object-fit: contain)."""
    width, height = page.evaluate(DRAWN_SIZE)
    return width, height


def test_on_a_laptop_the_tile_fills_the_height_with_crisp_pixels(live: LiveServer, browser) -> None:  # type: ignore[no-untyped-def]
    _, token = live.queue.invite("Laptop Lena")
    page = open_invite(browser, live.url, token, viewport={"width": 1366, "height": 768})
    page.wait_for_selector("body[data-assignment]")
    wait_until(page, "() => document.getElementById('tile').naturalWidth === 640")
    assert drawn_size(page) == (768, 768)  # all the screen's height, the buttons beside it
    assert (
        page.evaluate("() => getComputedStyle(document.getElementById('tile')).imageRendering") == "pixelated"
    )
    assert page.locator("#btn-person").bounding_box()["x"] >= 768


def test_a_first_time_volunteer_practises_before_the_first_tile(live: LiveServer, browser) -> None:  # type: ignore[no-untyped-def]
    _, token = live.queue.invite("New Nina")
    page = open_invite(browser, live.url, token, practised=False)
    page.wait_for_selector("body[data-mode='practice'][data-practice='1']")
    assert "Practice" in page.inner_text("#panel") and page.is_visible("#practice-skip")
    assert live.queue.status().leased == 0  # no real tile is held while practising
    page.keyboard.press("2")  # the first example is a person: the answer and the box show
    page.wait_for_selector("body[data-practice-boxes='1']")
    feedback = page.inner_text("#panel")
    assert "Not quite" in feedback and "This was a person" in feedback
    assert page.get_attribute("#tile", "src").startswith("blob:")
    page.keyboard.press("Enter")
    page.wait_for_selector("body[data-practice='2']")
    page.keyboard.press("2")  # a car park, no person
    wait_until(page, "() => document.body.dataset.practiceAnswered === '2'")
    assert "Right." in page.inner_text("#panel")
    page.click("#practice-skip")
    page.wait_for_selector("body[data-mode='review'][data-assignment]")
    assert page.is_hidden("#panel")
    assert stored_answers(live.store) == []  # practice answers never reach the server
    page.keyboard.press("1")
    page.wait_for_selector("body[data-answered='1']")
    assert [a for a, _ in stored_answers(live.store)] == ["person"]
    # practice is remembered in this browser
    assert page.evaluate("() => localStorage.getItem('sartriage.practised')") == "1"
    page.reload()
    page.wait_for_selector("body[data-mode='review'][data-assignment]")


def test_the_entry_check_is_fair_for_its_size_and_explains_its_outcome(
    tmp_path: Path, shared_data: Path, browser
) -> None:  # type: ignore[no-untyped-def]
    with serving(tmp_path, shared_data, known=2) as live:
        volunteer, token = live.queue.invite("Checked Chris")
        page = open_invite(browser, live.url, token)
        page.wait_for_selector("body[data-assignment]")
        assert "entry check 0/2" in page.inner_text("#progress")  # as long as the known tiles allow
        for n in (1, 2):  # both known tiles hold a person: "no person" twice fails the check
            page.keyboard.press("2")
            page.wait_for_selector(f"body[data-answered='{n}']")
        page.wait_for_selector("body[data-mode='outcome']")
        panel = page.inner_text("#panel")
        assert "Entry check not passed: 0 of 2 right, 1 needed" in panel and "not used" in panel
        assert page.is_hidden("#tile") and page.is_disabled("#btn-person")
        assert page.is_visible("#exam-practise") and page.is_visible("#exam-retry")
        assert "entry check not passed" in page.inner_text("#progress")

        page.click("#exam-practise")  # practice is offered again, then the one retry
        page.wait_for_selector("body[data-mode='practice']")
        page.click("#practice-skip")
        page.wait_for_selector("body[data-mode='review'][data-assignment]")
        assert "entry check 0/2" in page.inner_text("#progress")
        page.keyboard.press("2")  # one slip on a two-tile check
        page.wait_for_selector("body[data-answered='3']")
        page.keyboard.press("1")
        wait_until(page, "() => document.getElementById('message').textContent.includes('passed')")
        assert "Entry check passed: 1 of 2 right. Your answers now count." in page.inner_text("#message")
        assert "entry check" not in page.inner_text("#progress")
        assert live.queue.progress(volunteer.id).exam_state == "passed"
        page.wait_for_selector("body[data-mode='review'][data-assignment]")
        assert page.is_visible("#tile") and page.is_enabled("#btn-person")


def test_without_an_invite_the_page_shows_no_broken_picture(live: LiveServer, browser) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    page.goto(live.url)
    wait_until(page, "() => document.getElementById('notice').textContent.includes('invite link')")
    assert page.is_hidden("#tile") and page.is_disabled("#btn-person")


def test_a_second_invite_link_in_the_same_tab_joins_with_it(live: LiveServer, browser) -> None:  # type: ignore[no-untyped-def]
    first, first_token = live.queue.invite("First Fay")
    second, second_token = live.queue.invite("Second Sam")
    page = open_invite(browser, live.url, first_token)
    page.wait_for_selector("body[data-assignment]")
    page.goto(f"{live.url}/#invite={second_token}")  # only the #part changes: no page load
    wait_until(page, "(token) => localStorage.getItem('sartriage.token') === token", second_token)
    page.wait_for_selector("body[data-mode='review'][data-assignment]")
    page.keyboard.press("2")
    page.wait_for_selector("body[data-answered='1']")
    with live.store.connect() as conn:
        who = conn.execute(select(schema.answers.c.volunteer_id)).scalars().all()
    assert who == [second.id]
    assert live.queue.progress(first.id).answers == 0
