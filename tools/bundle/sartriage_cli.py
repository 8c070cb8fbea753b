"""The bundle's `sartriage` command (PyInstaller entry point)."""

import sys

from sartriage.cli import main

sys.exit(main())
