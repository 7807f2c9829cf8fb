"""Which catalog products a text names: by full name or a shorter name that still singles them out.

The simulator asks it which products the talk named (only those can be bought); the judges use it to check claims.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from salesgen.core.catalog import Catalog
from salesgen.core.dialogue import Product

_PREFIX = re.compile(r"^(?:used|certified pre-owned|cpo|new)\s+", re.I)
MODEL_YEAR = re.compile(r"\b(?:19|20)\d\d\b")  # in a product's name
_PARENS = re.compile(r"\([^)]*\)")


def norm(text: str) -> str:
    """Lower case, punctuation to spaces: the form names and features are compared in."""
    return re.sub(r"[^a-z0-9+]+", " ", text.lower().replace("’", "'")).strip()


def core_name(p: Product) -> str:
    """The name as people say it: without 'Used', the model year or parenthetical trims."""
    name = _PARENS.sub(" ", _PREFIX.sub("", p.name))
    return re.sub(r"\s+", " ", MODEL_YEAR.sub(" ", name)).strip()


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
        # Between two words, whatever norm() turns into a space: "4.5 cu ft" is the alias "4 5 cu ft".
        alt = "|".join(r"[^a-z0-9+]*".join(re.escape(tok) for tok in k.split()) for k in keys)
        self._regex = re.compile(rf"(?<![a-z0-9])(?:{alt})(?![a-z0-9])", re.I) if keys else None

    def _aliases(self, p: Product) -> list[str]:
        core = core_name(p)
        words = core.split()
        out = [p.name, core]
        # The brand's words the name opens with: all of them ("Tesla"), or some ("UPLIFT" of the brand "UPLIFT Desk":
        # alone it is the brand, and a greeting's "models from UPLIFT Desk" named the standing desk).
        brand_n = 0
        for a, b in zip(words, (p.brand or "").split(), strict=False):
            if a.lower() != b.lower():
                break
            brand_n += 1
        # Prefixes of the core name down to brand + one model word ("Tesla Model 3", "Sony WH-1000XM5").
        for n in range(len(words) - 1, brand_n, -1):
            out.append(" ".join(words[:n]))
        rest = words[brand_n:]
        # Not when the model starts with a bare number: "4.5 cu ft" is any washer's size, not the LG's name.
        if brand_n and rest and re.search(r"[A-Za-z]", rest[0]):
            # Without the brand only if the first model word is distinctive ("Camry", "Model 3", "XPS 14").
            for n in range(len(rest), 0, -1):
                cand = " ".join(rest[:n])
                if n > 1 or re.search(r"\d", cand) or len(cand) >= 4:
                    out.append(cand)
        return out

    def named(self, text: str) -> list[Product]:
        """The products the text names, each once, in the order first named."""
        return list({p.id: p for m in self.find(text) for p in m.products}.values())

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
