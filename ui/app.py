"""``sartriage-app``: the coordinator's desktop window."""

from __future__ import annotations

import argparse
import logging
import sys
from logging.handlers import RotatingFileHandler
from pathlib import Path

from PyQt6.QtWidgets import QApplication, QMessageBox

from sartriage.doctor import apt_line, missing_qt_packages, qt_uses_xcb
from ui.messages import install_excepthook, log_file


def _logging() -> Path:
    path = log_file()
    handler = RotatingFileHandler(path, maxBytes=5_000_000, backupCount=3, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.captureWarnings(True)  # the core's warnings (not georeferenced, ...) go to the log
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sartriage-app", description="sartriage: the coordinator's window")
    parser.add_argument("mission", nargs="?", type=Path, help="a mission store (.sqlite) to open")
    args = parser.parse_args(argv)
    missing = missing_qt_packages() if qt_uses_xcb() else []
    if missing:  # Qt would abort with a message naming the wrong library
        print(
            f"sartriage-app: the window cannot open: {', '.join(missing)} missing; {apt_line(missing)}",
            file=sys.stderr,
        )
        return 1

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("sartriage-app")
    app.setOrganizationName("sartriage")
    log_path = _logging()

    from ui.main_window import MainWindow

    window = MainWindow()

    def show(message: str) -> None:
        QMessageBox.warning(window, "sartriage", f"{message}\n\n(Details are in {log_path}.)")

    install_excepthook(show)
    window.show()
    if args.mission is not None:
        window.open_mission(args.mission)
    elif window.settings.recent_missions and window.settings.recent_missions[0].exists():
        window.open_mission(window.settings.recent_missions[0])
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
