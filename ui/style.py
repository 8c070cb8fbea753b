"""Colours and marks shared by the views, so a flagged tile is the same colour on the map and on the frame.

The Okabe–Ito palette: its colours stay apart for the common kinds of colour blindness. Hits differ by
shape too (circle, diamond, square, cross), so no one needs the colour alone to tell them.
"""

from __future__ import annotations

from PyQt6.QtGui import QColor

GREY = QColor(153, 153, 153)
BLUISH_GREEN = QColor(0, 158, 115)
YELLOW = QColor(240, 228, 66)
VERMILLION = QColor(213, 94, 0)
SKY_BLUE = QColor(86, 180, 233)
BLUE = QColor(0, 114, 178)
ORANGE = QColor(230, 159, 0)
REDDISH_PURPLE = QColor(204, 121, 167)

TILE_COLOURS = {"cleared": BLUISH_GREEN, "review": YELLOW, "flagged": VERMILLION}
DETECTION = SKY_BLUE
CANDIDATE = ORANGE
CONFIRMED = REDDISH_PURPLE
HIT_STATUS_COLOURS = {
    "candidate": CANDIDATE,
    "confirmed": CONFIRMED,
    "found": BLUE,
    "not_found": QColor(110, 110, 110),
    "rejected": QColor(90, 90, 90),
}
HIT_SHAPES = {  # how a hit of each status is drawn on the map
    "candidate": "circle",
    "confirmed": "diamond",
    "found": "square",
    "not_found": "cross",
    "rejected": "cross",
}

# map footprints by triage progress
FRAME_PENDING = GREY
FRAME_FAILED = QColor(40, 40, 40)
FRAME_CLEARED = BLUISH_GREEN
FRAME_REVIEW = YELLOW
FRAME_FLAGGED = VERMILLION
TRACK = BLUE
