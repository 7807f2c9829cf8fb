"""What the judges know of the catalog's language: product aliases, feature phrases, domain words."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from core.catalog import Catalog
from core.dialogue import Product

# LMRL-Gym Car Dealer's eight features, so imported car dialogues are checked on the words buyers use.
CAR_DEALER_FEATURES = ("backup camera", "navigation system", "heated seats", "leather seats", "third-row seating",
                       "blind spot monitoring", "sunroof", "Apple CarPlay")
_PREFIX = re.compile(r"^(?:used|certified pre-owned|cpo|new)\s+", re.I)
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_PARENS = re.compile(r"\([^)]*\)")


def norm(text: str) -> str:
    """Lower case, punctuation to spaces: the form names and features are compared in."""
    return re.sub(r"[^a-z0-9+]+", " ", text.lower().replace("’", "'")).strip()


def core_name(p: Product) -> str:
    """The name as people say it: without 'Used', the model year or parenthetical trims."""
    name = _PARENS.sub(" ", _PREFIX.sub("", p.name))
    return re.sub(r"\s+", " ", _YEAR.sub(" ", name)).strip()


@dataclass
class Mention:
    products: list[Product]  # more than one when the words fit several products (e.g. "Hyundai Elantra")
    text: str
    start: int
    end: int


@dataclass
class ProductIndex:
    """Finds catalog products in free text by their full name or a shorter name that still singles them out."""

    catalog: Catalog
    aliases: dict[str, list[Product]] = field(default_factory=dict)
    brands: dict[str, str] = field(default_factory=dict)  # normalised brand -> brand

    def __post_init__(self) -> None:
        for p in self.catalog.products:
            for alias in self._aliases(p):
                key = norm(alias)
                if len(key) >= 3 and p not in self.aliases.setdefault(key, []):
                    self.aliases[key].append(p)
            if p.brand:
                self.brands[norm(p.brand)] = p.brand
        # Longest alias first so "Tesla Model 3 Long Range" wins over "Tesla Model 3".
        keys = sorted(self.aliases, key=len, reverse=True)
        alt = "|".join(r"[\s\-]*".join(re.escape(tok) for tok in k.split()) for k in keys)
        self._regex = re.compile(rf"(?<![a-z0-9])(?:{alt})(?![a-z0-9])", re.I) if keys else None

    def _aliases(self, p: Product) -> list[str]:
        core = core_name(p)
        words = core.split()
        out = [p.name, core]
        brand_n = len(p.brand.split()) if p.brand and core.lower().startswith(p.brand.lower()) else 0
        # Prefixes of the core name down to brand + one model word ("Tesla Model 3", "Sony WH-1000XM5").
        for n in range(len(words) - 1, brand_n, -1):
            out.append(" ".join(words[:n]))
        if brand_n:
            rest = words[brand_n:]
            # Without the brand only if the first model word is distinctive ("Camry", "Model 3", "XPS 14").
            for n in range(len(rest), 0, -1):
                cand = " ".join(rest[:n])
                if n > 1 or re.search(r"\d", cand) or len(cand) >= 4:
                    out.append(cand)
        return out

    def find(self, text: str) -> list[Mention]:
        if self._regex is None:
            return []
        out = []
        for m in self._regex.finditer(text):
            prods = self.aliases.get(norm(m.group(0)))
            if prods and not _generic(m.group(0)):
                out.append(Mention(list(prods), m.group(0), m.start(), m.end()))
        return out


# Model words that are also plain English: a mention made only of these is no product mention.
_GENERIC = {"bike", "series", "original", "plus", "pro", "ultra", "family", "families", "model", "duo", "air",
            "chair", "desk", "sofa", "treadmill", "sedan", "premium", "limited", "touring", "sport", "express",
            "commercial", "detect", "power", "tune"}


def _generic(alias: str) -> bool:
    return all(w in _GENERIC for w in norm(alias).split())


_INDEXES: dict[int, tuple[Catalog, ProductIndex]] = {}


def product_index(catalog: Catalog) -> ProductIndex:
    """One index per catalog object (building it compiles a large regex)."""
    hit = _INDEXES.get(id(catalog))
    if hit is None or hit[0] is not catalog:
        hit = _INDEXES[id(catalog)] = (catalog, ProductIndex(catalog))
    return hit[1]


def feature_phrases(catalog: Catalog) -> list[str]:
    """Feature phrases from the whole catalog (and Car Dealer's), longest first; numeric ones are left to units."""
    phrases = {norm(f) for p in catalog.products for f in p.features} | {norm(f) for f in CAR_DEALER_FEATURES}
    return sorted((f for f in phrases if f and not re.search(r"\d", f)), key=len, reverse=True)


def product_blob(p: Product) -> str:
    """Everything the catalog says about a product, normalised, for 'does it have X' look-ups."""
    parts = [p.name, p.category, p.brand or "", p.body_type or "", *p.features, *map(str, p.policies.values())]
    parts += [f"{k.replace('_', ' ')} {v}" for k, v in p.specs.items()]
    return " " + norm(" ".join(parts)) + " "


def catalog_words(catalog: Catalog) -> list[str]:
    """Words a grammar checker should accept: product names, brands, feature and spec terms."""
    words: set[str] = set()
    for p in catalog.products:
        text = " ".join([p.name, p.brand or "", *p.features, *map(str, p.specs.values()), *p.policies.values()])
        for w in re.findall(r"[A-Za-z][A-Za-z0-9+\-]*[A-Za-z0-9+]|[A-Za-z]", text):
            # The whole token and its hyphen parts: Harper splits "CR-V" into "CR" and "V".
            words.add(w)
            words.update(part for part in w.split("-") if len(part) > 1)
    return sorted(words)
