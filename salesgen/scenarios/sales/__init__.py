"""The sales scenario: a salesperson and a customer with a hidden budget talk about products from a catalog."""
from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from salesgen.core.catalog import Catalog
from salesgen.core.dialogue import Dialogue, Product
from salesgen.core.files import read_toml
from salesgen.core.mentions import product_index
from salesgen.scenarios import register
from salesgen.scenarios.sales import judges as _judges  # noqa: F401  (hands the sales judges to the panel)
from salesgen.scenarios.sales.episode import VOICE_FILE, SalesEpisode
from salesgen.scenarios.sales.personas import CarValues


@cache
def voice_texts(path: Path = VOICE_FILE) -> dict[str, Any]:
    return read_toml(path, "Voice prompts ")


@register("sales")
@dataclass
class SalesScenario:
    catalog: Catalog
    seller_names: list[str]
    stores: dict[str, str]
    behaviours: dict[str, str]
    stretch: float = 1.0  # how far past its budget a persona that may stretch will go
    system: dict[str, str] | None = None  # a prompt variant's voice system prompts by role ([planned] section)
    car: CarValues | None = None  # the car value lists: type phrases ("an SUV") and body shapes
    name: str = "sales"

    def __post_init__(self) -> None:
        self.index = product_index(self.catalog)  # one compiled index per catalog, shared with the judges
        self.texts = voice_texts()
        if self.system:
            self.texts = {**self.texts, "system": {**self.texts["system"], **self.system}}

    def episode(self, dialogue: Dialogue, alternatives: list[Product], seed: str, max_exchanges: int,
                word_band: tuple[int, int]) -> SalesEpisode:
        p = dialogue.persona
        rng = random.Random(f"{seed}:world")
        # Never the customer's own name: a seller "Mateo" greeting a customer Mateo read as one speaker playing both.
        seller = rng.choice([n for n in self.seller_names if n != p.name] or self.seller_names)
        store = self.stores.get(p.category, self.stores.get("default", "our store"))
        limit = p.budget * (self.stretch if p.over_budget_ok else 1.0)
        dialogue.extra.update(seller=seller, store=store, alternatives=[a.id for a in alternatives])
        return SalesEpisode(dialogue, self.catalog.in_category(p.category), alternatives, self.catalog, self.index,
                            self.texts, seller, store, self.behaviours.get(p.personality, ""), limit, seed,
                            max_exchanges, word_band, self.car)
