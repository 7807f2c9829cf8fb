"""The product catalog: loaded from a JSON data file, validated, looked up by id, category or name."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from salesgen.core.dialogue import Product
from salesgen.core.errors import InputError
from salesgen.core.files import read_json

DEFAULT_CATALOG = Path(__file__).resolve().parent.parent / "data" / "catalog.json"
_REQUIRED = {"id": str, "name": str, "category": str, "price": (int, float)}


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


@dataclass
class Catalog:
    products: list[Product]
    path: Path | None = None

    @classmethod
    def load(cls, path: Path | str = DEFAULT_CATALOG) -> Catalog:
        path = Path(path)
        raw = read_json(path, "Catalog file ")
        items = raw.get("products") if isinstance(raw, dict) else None
        if not isinstance(items, list) or not items:
            raise InputError(f"Catalog file {path} must hold a non-empty \"products\" list.")
        products, seen = [], set()
        for i, item in enumerate(items):
            where = f"Catalog file {path}, product {i + 1}"
            if not isinstance(item, dict):
                raise InputError(f"{where} is not an object.")
            for key, typ in _REQUIRED.items():
                if not isinstance(item.get(key), typ):
                    raise InputError(f"{where} lacks a valid \"{key}\".")
            if item["id"] in seen:
                raise InputError(f"{where} repeats the id \"{item['id']}\".")
            if item["price"] <= 0 or (item.get("min_price") is not None and item["min_price"] > item["price"]):
                raise InputError(f"{where} ({item['id']}) has an impossible price or min_price.")
            seen.add(item["id"])
            products.append(Product.from_dict(item))
        return cls(products, path)

    def get(self, product_id: str | None) -> Product | None:
        return next((p for p in self.products if p.id == product_id), None)

    def categories(self) -> list[str]:
        return sorted({p.category for p in self.products})

    def in_category(self, category: str) -> list[Product]:
        return [p for p in self.products if p.category == category]

    def find_by_name(self, name: str | None) -> Product | None:
        """The product whose name (or id) best matches `name`; exact match first, then containment."""
        if not name:
            return None
        key = _norm(name)
        for p in self.products:
            if key in (_norm(p.name), _norm(p.id)):
                return p
        hits = [p for p in self.products if _norm(p.name) in key or key in _norm(p.name)]
        return max(hits, key=lambda p: len(p.name), default=None)

    def mentioned_in(self, text: str) -> list[Product]:
        """Products whose full name appears in `text`, longest names first."""
        t = _norm(text)
        return sorted((p for p in self.products if _norm(p.name) in t), key=lambda p: -len(p.name))

    def words(self) -> list[str]:
        """Words a grammar checker should accept: product names, brands, feature and spec terms."""
        words: set[str] = set()
        for p in self.products:
            text = " ".join([p.name, p.brand or "", *p.features, *map(str, p.specs.values()), *p.policies.values()])
            for w in re.findall(r"[A-Za-z][A-Za-z0-9+\-]*[A-Za-z0-9+]|[A-Za-z]", text):
                # The whole token and its hyphen parts: Harper splits "CR-V" into "CR" and "V".
                words.add(w)
                words.update(part for part in w.split("-") if len(part) > 1)
        return sorted(words)
