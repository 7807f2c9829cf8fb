"""What the judges know of the catalog's language: feature phrases and product descriptions."""
from __future__ import annotations

import re

from salesgen.core.catalog import Catalog
from salesgen.core.dialogue import Product
from salesgen.core.mentions import norm

# LMRL-Gym Car Dealer's eight features, so imported car dialogues are checked on the words buyers use.
CAR_DEALER_FEATURES = ("backup camera", "navigation system", "heated seats", "leather seats", "third-row seating",
                       "blind spot monitoring", "sunroof", "Apple CarPlay")
def feature_phrases(catalog: Catalog) -> list[str]:
    """Feature phrases from the whole catalog (and Car Dealer's), longest first; numeric ones are left to units."""
    phrases = {norm(f) for p in catalog.products for f in p.features} | {norm(f) for f in CAR_DEALER_FEATURES}
    return sorted((f for f in phrases if f and not re.search(r"\d", f)), key=len, reverse=True)


def product_blob(p: Product) -> str:
    """Everything the catalog says about a product, normalised, for 'does it have X' look-ups."""
    parts = [p.name, p.category, p.brand or "", p.body_type or "", *p.features, *map(str, p.policies.values())]
    parts += [f"{k.replace('_', ' ')} {v}" for k, v in p.specs.items()]
    return " " + norm(" ".join(parts)) + " "
