"""Screenshots of the volunteer page on real tiles, at a 1366x768 laptop's size and a 390x844 phone's.

    .venv/bin/python benchmarks/volunteer_page_screenshots.py [--out DIR]

Serves a mission of real HERIDAL crops from ../shared with two known tiles (the tests' server), opens an
invite in Debian's headless chromium and saves, per size: the practice, its feedback and end, an entry-check
tile, a failed check, a passed check's next tile and the end of the queue; and the page without an invite.
Prints where the PNGs are.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests/review"), str(ROOT / "tests/review/server"), str(ROOT / "tests")]

from playwright.sync_api import sync_playwright  # noqa: E402
from test_page import CHROMIUM, CHROMIUM_ARGS, open_invite, serving, wait_until  # noqa: E402

SHARED = Path(os.environ.get("SARTRIAGE_SHARED", ROOT.parent / "shared")) / "data"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(tempfile.mkdtemp(prefix="sartriage-page-")))
    args = parser.parse_args()
    out, shared = args.out, SHARED
    out.mkdir(parents=True, exist_ok=True)
    SIZES = {
        "laptop": {"viewport": {"width": 1366, "height": 768}},
        "phone": {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True},
    }
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        for name, ctx in SIZES.items():
            with tempfile.TemporaryDirectory() as tmp, serving(Path(tmp), shared, known=2) as live:
                _, token = live.queue.invite(f"{name}")
                page = open_invite(browser, live.url, token, practised=False, **ctx)
                page.wait_for_selector("body[data-practice='1']")
                wait_until(page, "() => document.getElementById('tile').complete")
                page.screenshot(path=out / f"{name}_1_practice.png")
                page.keyboard.press("1")
                page.wait_for_selector("body[data-practice-boxes='1']")
                page.screenshot(path=out / f"{name}_2_practice_feedback.png")
                for i in range(2, 7):
                    page.keyboard.press("Enter")
                    page.wait_for_selector(f"body[data-practice='{i}']")
                    page.keyboard.press("2")
                    wait_until(page, f"() => document.body.dataset.practiceAnswered === '{i}'")
                    if i == 5:
                        wait_until(page, "() => document.body.dataset.practiceBoxes === '5'")
                        page.screenshot(path=out / f"{name}_3_practice_small.png")
                page.screenshot(path=out / f"{name}_4_practice_end.png")
                page.keyboard.press("Enter")
                page.wait_for_selector("body[data-mode='review'][data-assignment]")
                wait_until(page, "() => document.getElementById('tile').naturalWidth === 640")
                page.screenshot(path=out / f"{name}_5_entry_check_tile.png")
                for n in (1, 2):
                    page.keyboard.press("2")
                    page.wait_for_selector(f"body[data-answered='{n}']")
                page.wait_for_selector("body[data-mode='outcome']")
                page.screenshot(path=out / f"{name}_6_check_failed.png")
                page.click("#exam-retry")
                page.wait_for_selector("body[data-mode='review'][data-assignment]")
                page.keyboard.press("2")
                page.wait_for_selector("body[data-answered='3']")
                page.keyboard.press("1")
                wait_until(page, "() => document.getElementById('message').textContent.includes('passed')")
                wait_until(page, "() => document.getElementById('tile').naturalWidth === 640")
                page.screenshot(path=out / f"{name}_7_check_passed_tile.png")
                for n in range(5, 9):
                    wait_until(
                        page,
                        "() => !document.getElementById('btn-person').disabled"
                        " || !document.body.dataset.assignment",
                    )
                    if not page.get_attribute("body", "data-assignment"):
                        break
                    page.keyboard.press("2")
                    page.wait_for_selector(f"body[data-answered='{n}']")
                wait_until(page, "() => document.getElementById('notice').textContent.includes('No tile')")
                page.screenshot(path=out / f"{name}_8_end_of_queue.png")
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        with tempfile.TemporaryDirectory() as tmp, serving(Path(tmp), shared) as live:
            page.goto(live.url)
            wait_until(page, "() => document.getElementById('notice').textContent.includes('invite')")
            page.screenshot(path=out / "laptop_9_no_invite.png")
        browser.close()

    print(f"{len(list(out.glob('*.png')))} screenshots in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
