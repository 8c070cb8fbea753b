"""Colours shared by the views, so a flagged tile is the same red on the map and on the frame."""

from __future__ import annotations

from PyQt6.QtGui import QColor

TILE_COLOURS = {
    "cleared": QColor(60, 170, 90),
    "review": QColor(240, 180, 40),
    "flagged": QColor(220, 50, 50),
}
DETECTION = QColor(0, 200, 255)
CANDIDATE = QColor(255, 60, 220)
CONFIRMED = QColor(255, 30, 30)
HIT_STATUS_COLOURS = {
    "candidate": CANDIDATE,
    "confirmed": CONFIRMED,
    "found": QColor(30, 120, 255),
    "not_found": QColor(120, 120, 120),
    "rejected": QColor(90, 90, 90),
}

# map footprints by triage progress
FRAME_PENDING = QColor(150, 150, 150)
FRAME_FAILED = QColor(120, 0, 0)
FRAME_CLEARED = QColor(60, 170, 90)
FRAME_REVIEW = QColor(240, 180, 40)
FRAME_FLAGGED = QColor(220, 50, 50)
TRACK = QColor(40, 90, 200)
