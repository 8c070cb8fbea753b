"""Text from outside (file names off an SD card, volunteer names) made safe to print on a terminal."""

from __future__ import annotations

import re

# C0 and C1 control characters and DEL: terminal escapes (ESC, CSI), carriage returns and line feeds that
# could clear a screen, draw a fake summary line or break the one-line rule of a message.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def printable(text: object) -> str:
    """``str(text)`` with each control character written as ``\\xNN``."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))


def has_control(text: str) -> bool:
    return _CONTROL.search(text) is not None
