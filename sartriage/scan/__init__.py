"""The scan: find frames, tile and detect them, triage every tile and commit frame by frame.

``scan()`` is a generator that yields :class:`ScanProgress`; pulling drives the
scan, not pulling pauses it, closing it stops it cleanly (claims are released).
"""

from sartriage.scan.discover import FOUND_SUFFIXES, content_hash, find_frames
from sartriage.scan.pipeline import ScanOptions, ScanProgress, scan
from sartriage.scan.summary import FlightSummary, summarise
from sartriage.scan.triage import TriageRules, triage_tiles

__all__ = [
    "FOUND_SUFFIXES",
    "FlightSummary",
    "ScanOptions",
    "ScanProgress",
    "TriageRules",
    "content_hash",
    "find_frames",
    "scan",
    "summarise",
    "triage_tiles",
]
