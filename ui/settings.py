"""What the app remembers between sessions (QSettings: the registry on Windows, an .ini elsewhere)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from PyQt6.QtCore import QByteArray, QSettings, QStandardPaths

RECENT_MAX = 8
GRIDS = ("degrees", "utm")
MISSIONS = "sartriage missions"


def default_missions_folder() -> Path:
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(documents or Path.home()) / MISSIONS


class Settings:
    def __init__(self, qsettings: QSettings | None = None) -> None:
        self.q = qsettings or QSettings("sartriage", "sartriage-app")

    def _path(self, key: str) -> Path | None:
        value = self.q.value(key, "", type=str)
        return Path(value) if value else None

    def _set_path(self, key: str, value: Path | None) -> None:
        self.q.setValue(key, str(value) if value else "")

    @property
    def recent_missions(self) -> list[Path]:
        values = self.q.value("missions/recent", [], type=list) or []
        return [Path(v) for v in values if v]

    def remember_mission(self, path: Path) -> None:
        recent = [p for p in self.recent_missions if p != path]
        self.q.setValue("missions/recent", [str(p) for p in [path, *recent][:RECENT_MAX]])

    @property
    def last_folder(self) -> Path | None:
        """The last photo folder scanned."""
        return self._path("folders/last")

    @last_folder.setter
    def last_folder(self, value: Path | None) -> None:
        self._set_path("folders/last", value)

    @property
    def missions_folder(self) -> Path:
        """Where missions and their exports go: the last mission's folder, else a folder in the user's
        documents; never the photo folder, which is often the drone's card."""
        return self._path("folders/missions") or default_missions_folder()

    @missions_folder.setter
    def missions_folder(self, value: Path) -> None:
        self._set_path("folders/missions", value)

    @property
    def dem(self) -> Path | None:
        """The terrain model (DEM/DSM GeoTIFF) the next scans place photos on; None: flat ground."""
        return self._path("scan/dem")

    @dem.setter
    def dem(self, value: Path | None) -> None:
        self._set_path("scan/dem", value)

    @property
    def model(self) -> Path | None:
        """The detector model (.onnx with its card, or a card); None: the default model."""
        return self._path("scan/model")

    @model.setter
    def model(self, value: Path | None) -> None:
        self._set_path("scan/model", value)

    @property
    def device(self) -> str:
        return self.q.value("scan/device", "auto", type=str) or "auto"

    @device.setter
    def device(self, value: str) -> None:
        self.q.setValue("scan/device", value)

    def threshold(self, name: str) -> float | None:
        """The review or flag threshold the coordinator set; None: the model card's."""
        value = self.q.value(f"scan/{name}", "", type=str)
        return float(value) if value else None

    def set_threshold(self, name: str, value: float | None) -> None:
        self.q.setValue(f"scan/{name}", "" if value is None else f"{value:g}")

    @staticmethod
    def _mission_key(mission: Path) -> str:
        return hashlib.sha1(str(mission).encode()).hexdigest()[:16]

    def background(self, mission: Path) -> Path | None:
        """The map background chosen for this mission, if any."""
        return self._path(f"map/background_{self._mission_key(mission)}")

    def set_background(self, mission: Path, value: Path | None) -> None:
        self._set_path(f"map/background_{self._mission_key(mission)}", value)

    @property
    def map_grid(self) -> str:
        """The map's grid: "degrees" or "utm"."""
        value = self.q.value("map/grid", "degrees", type=str)
        return value if value in GRIDS else "degrees"

    @map_grid.setter
    def map_grid(self, value: str) -> None:
        self.q.setValue("map/grid", value)

    def layer_visible(self, layer: str, default: bool) -> bool:
        return bool(self.q.value(f"frame/layers/{layer}", default, type=bool))

    def set_layer_visible(self, layer: str, visible: bool) -> None:
        self.q.setValue(f"frame/layers/{layer}", visible)

    def window_state(self) -> tuple[QByteArray | None, QByteArray | None]:
        return self.q.value("window/geometry", None), self.q.value("window/state", None)

    def save_window_state(self, geometry: QByteArray, state: QByteArray) -> None:
        self.q.setValue("window/geometry", geometry)
        self.q.setValue("window/state", state)

    def sync(self) -> None:
        self.q.sync()
