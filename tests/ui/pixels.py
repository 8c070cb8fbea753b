"""What a widget drew, as an RGB array to compare with the photo's own pixels."""

from __future__ import annotations

import numpy as np
from PyQt6.QtGui import QImage


def rgb(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    data = np.array(image.constBits().asarray(image.sizeInBytes()), dtype=np.uint8)
    return data.reshape(image.height(), image.bytesPerLine())[:, : image.width() * 3].reshape(
        image.height(), image.width(), 3
    )
