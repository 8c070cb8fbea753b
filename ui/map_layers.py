"""The map's layers menu: each layer on or off, and how see-through it is."""

from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QCheckBox, QHBoxLayout, QMenu, QSlider, QToolButton, QWidget, QWidgetAction

from ui.map_view import LAYERS, MapView


class LayersButton(QToolButton):
    def __init__(self, view: MapView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setText("Map layers")
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.view = view
        self.shown: dict[str, QCheckBox] = {}
        self.opacity: dict[str, QSlider] = {}
        menu = QMenu(self)
        for name, words in reversed(LAYERS.items()):  # top layer first, as drawn
            row = QWidget()
            layout = QHBoxLayout(row)
            layout.setContentsMargins(8, 2, 8, 2)
            box = QCheckBox(words)
            slider = QSlider(Qt.Orientation.Horizontal)
            slider.setRange(0, 100)
            slider.setFixedWidth(110)
            slider.setToolTip("How see-through the layer is")
            visible, opacity = view.layer(name)
            box.setChecked(visible)
            slider.setValue(round(opacity * 100))
            box.toggled.connect(lambda on, n=name: self.view.set_layer(n, visible=on))
            slider.valueChanged.connect(lambda v, n=name: self.view.set_layer(n, opacity=v / 100))
            layout.addWidget(box, 1)
            layout.addWidget(slider)
            action = QWidgetAction(menu)
            action.setDefaultWidget(row)
            menu.addAction(action)
            self.shown[name], self.opacity[name] = box, slider
        self.setMenu(menu)
