"""Running core work off the GUI thread.

Two shapes, as napari's ``qthreading`` does it: a one-off call (``run_in_background``)
on the shared thread pool, and a long generator (``GeneratorWorker``) on its own
``QThread`` that yields progress. Calls that change the mission go ``in_order`` through
one writer thread, so the store sees the coordinator's actions in the order they were
made; a ``LatestOnly`` drops answers to requests a later one has superseded. Pausing a
generator means not pulling from it; cancelling closes it, so its ``finally`` blocks run
in the worker thread.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from PyQt6 import sip
from PyQt6.QtCore import QObject, QThread, pyqtSignal

from ui.messages import human_message

log = logging.getLogger(__name__)


class _CallSignals(QObject):
    done = pyqtSignal(object)
    failed = pyqtSignal(str)


_running = 0
_running_lock = threading.Lock()


def _call(fn: Callable[[], Any], signals: _CallSignals) -> None:
    global _running
    try:
        try:
            result = fn()
        except Exception as exc:  # every failure goes back to the GUI as a sentence
            log.warning("background task failed", exc_info=True)
            signals.failed.emit(human_message(exc))
            return
        signals.done.emit(result)
    except RuntimeError:  # the app closed while this ran: nobody is left to tell
        log.debug("background result dropped: the receiver is gone")
    finally:
        with _running_lock:
            _running -= 1


# Plain Python threads (not QThreadPool): a finished task never waits on Qt to delete a wrapper.
_pool = ThreadPoolExecutor(
    max_workers=max(2, min(4, os.cpu_count() or 2)), thread_name_prefix="sartriage-app"
)
_writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sartriage-app-writes")
# Reads of many files at once (photos for the map): one at a time, beside the pool and the writer, so
# neither a thumbnail nor a decision waits behind them.
_bulk = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sartriage-app-bulk")


def wait_for_background(timeout_s: float) -> bool:
    """Wait until no background call runs (closing the window); False when some still do."""
    deadline = time.monotonic() + timeout_s
    while _running and time.monotonic() < deadline:
        time.sleep(0.02)
    return not _running


_live: set[_CallSignals] = set()


def run_in_background(
    owner: QObject,
    fn: Callable[[], Any],
    on_done: Callable[[Any], None],
    on_failed: Callable[[str], None] | None = None,
    *,
    in_order: bool = False,
    bulk: bool = False,
) -> None:
    """Call fn on the thread pool; on_done(result) / on_failed(message) run on the GUI thread,
    unless ``owner`` (the widget that asked) has been deleted by then. ``in_order`` calls run one
    at a time, each after every ``in_order`` call submitted before it; ``bulk`` calls one at a time
    on a thread of their own."""
    signals = _CallSignals()
    _live.add(signals)  # kept alive until a result arrives

    def deliver(callback: Callable[[Any], None] | None) -> Callable[[Any], None]:
        def call(value: Any) -> None:
            _live.discard(signals)
            if callback is not None and not sip.isdeleted(owner):
                callback(value)

        return call

    signals.done.connect(deliver(on_done))
    signals.failed.connect(deliver(on_failed))
    global _running
    with _running_lock:
        _running += 1
    (_writer if in_order else _bulk if bulk else _pool).submit(_call, fn, signals)


class OncePerKey(QObject):
    """Bulk reads done once per key (a frame), one at a time; ``reset`` forgets them, and reads still
    waiting then return at once without their answer (another mission was opened, or the window closes)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._asked: set[Any] = set()
        self._generation = 0

    def reset(self) -> None:
        self._asked.clear()
        self._generation += 1

    def asked(self, key: Any) -> bool:
        return key in self._asked

    def ask(self, key: Any, fn: Callable[[], Any], on_done: Callable[[Any], None]) -> None:
        if key in self._asked:
            return
        self._asked.add(key)
        generation = self._generation

        def read() -> Any:
            return fn() if generation == self._generation else None

        def done(value: Any) -> None:
            if generation == self._generation and value is not None:
                on_done(value)

        run_in_background(self, read, done, lambda _message: None, bulk=True)  # unread: nothing drawn


class LatestOnly:
    """Requests of which only the newest matters (what one view shows): the answer to a request
    made before the newest is dropped, whichever order the answers arrive in."""

    def __init__(self) -> None:
        self._newest = 0

    def run(
        self,
        owner: QObject,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_failed: Callable[[str], None] | None = None,
    ) -> None:
        self._newest += 1
        ticket = self._newest

        def if_newest(callback: Callable[[Any], None] | None) -> Callable[[Any], None]:
            def call(value: Any) -> None:
                if ticket == self._newest and callback is not None:
                    callback(value)

            return call

        run_in_background(owner, fn, if_newest(on_done), if_newest(on_failed))


class GeneratorWorker(QThread):
    """Pulls a generator on its own thread; ``progressed`` carries each yielded value."""

    progressed = pyqtSignal(object)
    failed = pyqtSignal(str)
    ended = pyqtSignal(bool)  # True when the generator ran out, False when cancelled or failed

    def __init__(self, make: Callable[[], Generator[Any, None, Any] | Iterator[Any]]) -> None:
        super().__init__()
        self._make = make
        self._resume = threading.Event()
        self._resume.set()
        self._cancel = threading.Event()

    @property
    def paused(self) -> bool:
        return not self._resume.is_set()

    def pause(self) -> None:
        self._resume.clear()

    def resume(self) -> None:
        self._resume.set()

    def cancel(self) -> None:
        self._cancel.set()
        self._resume.set()

    def run(self) -> None:
        completed = False
        gen: Iterator[Any] | None = None
        try:
            gen = iter(self._make())
            while True:
                self._resume.wait()
                if self._cancel.is_set():
                    break
                try:
                    value = next(gen)
                except StopIteration:
                    completed = True
                    break
                self.progressed.emit(value)
        except Exception as exc:
            log.warning("background job failed", exc_info=True)
            self.failed.emit(human_message(exc))
        finally:
            close = getattr(gen, "close", None)
            if close is not None:
                try:
                    close()
                except Exception:
                    log.warning("closing the background job failed", exc_info=True)
            self.ended.emit(completed)
