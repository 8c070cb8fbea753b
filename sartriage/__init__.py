"""sartriage: drone search-and-rescue imagery triage (headless core, never imports Qt)."""

__version__ = "0.1.0"
