"""The bundle's `sartriage-app` window (PyInstaller entry point)."""

import sys

from ui.app import main

sys.exit(main())
