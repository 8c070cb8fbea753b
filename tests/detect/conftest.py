"""Model cards for the real third-party detectors in ../shared/models, drafted once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from sartriage.detect.card import ModelCard
from sartriage.detect.inspect import draft_card


class DraftedCards(dict[str, ModelCard]):
    """stem -> card drafted by ``sartriage model inspect`` for ``../shared/models/<stem>.onnx``."""

    def __init__(self, models: Path, folder: Path) -> None:
        super().__init__()
        self.models, self.folder = models, folder

    def __missing__(self, stem: str) -> ModelCard:
        card = draft_card(self.models / f"{stem}.onnx", self.folder / f"{stem}.card.toml")
        self[stem] = card
        return card


@pytest.fixture(scope="session")
def shared_cards(shared_models: Path, tmp_path_factory: pytest.TempPathFactory) -> DraftedCards:
    return DraftedCards(shared_models, tmp_path_factory.mktemp("cards"))
