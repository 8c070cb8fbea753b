"""Errors as sentences a coordinator understands; tracebacks go to the log file only."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from sartriage.errors import SartriageError

log = logging.getLogger(__name__)


def human_message(exc: BaseException) -> str:
    """One line for a person: the core's own messages as they are, anything else explained."""
    if isinstance(exc, SartriageError):
        return str(exc)
    if isinstance(exc, FileNotFoundError):
        return f"{exc.filename or 'a file'}: not found; check that the card or folder is still there"
    if isinstance(exc, PermissionError):
        return f"{exc.filename or 'a file'}: not allowed to read or write it; check its permissions"
    if isinstance(exc, MemoryError):
        return "the computer ran out of memory; close other programs and try again"
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror or exc}; check the disk and try again"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    what = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return f"something went wrong ({what}); the details are in the log"


def log_file() -> Path:
    from PyQt6.QtCore import QStandardPaths

    folder = Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppLocalDataLocation))
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "sartriage-app.log"


def install_excepthook(show: Callable[[str], None]) -> None:
    """Log every uncaught exception with its traceback, and show the person one sentence."""

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, exc, tb)
            return
        log.error("uncaught error", exc_info=(kind, exc, tb))
        try:
            show(human_message(exc))
        except Exception:  # the dialog itself failed: the log still has it
            log.exception("could not show the error")

    sys.excepthook = hook
