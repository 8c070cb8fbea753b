"""sartriage's desktop app for the search coordinator (PyQt6): widgets over the core's state."""
