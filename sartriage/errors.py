"""Errors and warnings a user can cause, in one place.

Every error names the file (or request) it is about and what to do; the CLI
prints ``str(error)`` on one line and never a traceback. Low-level errors
(OpenCV, GDAL, SQLAlchemy, ONNX Runtime) are converted where they enter.
"""

from __future__ import annotations


class SartriageError(Exception):
    """Root of every error sartriage raises on purpose."""


class FrameError(SartriageError, OSError):
    """A photo or raster cannot be opened or read."""


class ModelError(SartriageError, ValueError):
    """An ONNX model or its card is missing, wrong or does not match."""


class StoreError(SartriageError, OSError):
    """The mission store cannot be opened or written."""


class ReviewError(SartriageError, ValueError):
    """A review request breaks a rule of the queue."""


class NotFound(ReviewError):
    """The thing asked for does not exist for this caller (never says whether it exists for another)."""


class Forbidden(ReviewError):
    """The caller may not do this (revoked, entry check not passed, not the coordinator)."""


class Conflict(ReviewError):
    """The request clashes with the queue's state (lease expired, already answered differently)."""


class LabelError(SartriageError, ValueError):
    """A label file cannot be read."""


class ClaimLost(SartriageError):
    """Another scan worker took a frame over while this one worked on it: this worker's result is dropped."""


class ExportError(SartriageError, OSError):
    """An export cannot be written."""


class SartriageWarning(UserWarning):
    """Root of sartriage's warnings."""


class NotGeoreferencedWarning(SartriageWarning):
    """A frame has no usable position: its pixels cannot be put on the ground."""


class MetadataWarning(SartriageWarning):
    """Metadata was read but part of it is unreliable or absent."""
