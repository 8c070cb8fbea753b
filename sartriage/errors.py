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


class MetadataError(SartriageError, ValueError):
    """Metadata is missing or makes no sense."""


class ModelError(SartriageError, ValueError):
    """An ONNX model or its card is missing, wrong or does not match."""


class StoreError(SartriageError, OSError):
    """The mission store cannot be opened or written."""


class ReviewError(SartriageError, ValueError):
    """A review request breaks a rule of the queue."""


class ExportError(SartriageError, OSError):
    """An export cannot be written."""


class SartriageWarning(UserWarning):
    """Root of sartriage's warnings."""


class NotGeoreferencedWarning(SartriageWarning):
    """A frame has no usable position: its pixels cannot be put on the ground."""


class MetadataWarning(SartriageWarning):
    """Metadata was read but part of it is unreliable or absent."""
