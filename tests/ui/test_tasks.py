"""Background calls: the coordinator's actions reach the store in the order made, and a view shows
the answer to its newest request even when an older, slower one answers last."""

from __future__ import annotations

import threading
import time

from PyQt6.QtCore import QObject

from ui.tasks import LatestOnly, run_in_background, wait_for_background


def _slow(seconds: float, value: str, log: list[str]):  # type: ignore[no-untyped-def]
    def call() -> str:
        time.sleep(seconds)
        log.append(value)
        return value

    return call


def test_in_order_calls_run_one_after_another_in_the_order_asked(qtbot) -> None:  # type: ignore[no-untyped-def]
    owner = QObject()
    ran: list[str] = []
    delivered: list[str] = []
    # a note that takes a while to write, then a status change asked for right after it
    run_in_background(owner, _slow(0.4, "note", ran), delivered.append, in_order=True)
    run_in_background(owner, _slow(0.0, "found", ran), delivered.append, in_order=True)
    qtbot.waitUntil(lambda: len(delivered) == 2, timeout=5_000)
    assert ran == ["note", "found"]
    assert delivered == ["note", "found"]


def test_plain_calls_may_overtake_each_other(qtbot) -> None:  # type: ignore[no-untyped-def]
    """Why in_order exists: the shared pool runs calls side by side, so a quick one finishes first."""
    owner = QObject()
    ran: list[str] = []
    second_done = threading.Event()

    def first() -> str:
        assert second_done.wait(5)  # runs only if the second call can start while this one is busy
        ran.append("first")
        return "first"

    def second() -> str:
        ran.append("second")
        second_done.set()
        return "second"

    run_in_background(owner, first, lambda _v: None)
    run_in_background(owner, second, lambda _v: None)
    qtbot.waitUntil(lambda: len(ran) == 2, timeout=10_000)
    assert ran == ["second", "first"]


def _waits_for(event: threading.Event, value: str, ran: list[str]):  # type: ignore[no-untyped-def]
    def call() -> str:
        assert event.wait(5)
        ran.append(value)
        return value

    return call


def _then_sets(event: threading.Event, value: str, ran: list[str]):  # type: ignore[no-untyped-def]
    def call() -> str:
        ran.append(value)
        event.set()
        return value

    return call


def test_latest_only_drops_an_older_answer_that_arrives_last(qtbot) -> None:  # type: ignore[no-untyped-def]
    owner = QObject()
    request = LatestOnly()
    ran: list[str] = []
    shown: list[str] = []
    failures: list[str] = []
    newer_done = threading.Event()
    request.run(owner, _waits_for(newer_done, "context", ran), shown.append, failures.append)
    request.run(owner, _then_sets(newer_done, "tile", ran), shown.append, failures.append)
    qtbot.waitUntil(lambda: len(ran) == 2, timeout=10_000)
    assert wait_for_background(5)
    qtbot.waitUntil(lambda: bool(shown), timeout=5_000)
    qtbot.wait(50)  # both answers were emitted; let the older one reach the GUI thread too
    assert ran == ["tile", "context"]  # the old request did answer last ...
    assert shown == ["tile"]  # ... and was not shown
    assert failures == []


def test_latest_only_drops_an_older_failure_too(qtbot) -> None:  # type: ignore[no-untyped-def]
    owner = QObject()
    request = LatestOnly()
    shown: list[str] = []
    failures: list[str] = []
    ran: list[str] = []
    newer_done = threading.Event()

    def broken() -> str:
        assert newer_done.wait(5)
        raise OSError("frame.jpg: gone")

    request.run(owner, broken, shown.append, failures.append)
    request.run(owner, _then_sets(newer_done, "tile", ran), shown.append, failures.append)
    qtbot.waitUntil(newer_done.is_set, timeout=10_000)
    assert wait_for_background(5)
    qtbot.waitUntil(lambda: bool(shown), timeout=5_000)
    qtbot.wait(50)
    assert shown == ["tile"] and failures == []
