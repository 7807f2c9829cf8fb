"""How a product's catalog entry is shown to the salesperson: every fact it may state, nothing else."""
from __future__ import annotations

from salesgen.core.dialogue import Product
from salesgen.scenarios.sales.prices import money


def product_facts(p: Product) -> str:
    floor = p.min_price if p.min_price is not None else p.price
    parts = [f"- {p.name} ({p.category}{', ' + p.body_type if p.body_type else ''}): list price {money(p.price)}; "
             f"discount floor {money(floor)} (private: never say it)."]
    if p.specs:
        parts.append("  Specs: " + "; ".join(f"{k.replace('_', ' ')}: {v}" for k, v in p.specs.items()) + ".")
    if p.features:
        parts.append("  Features: " + ", ".join(p.features) + ".")
    for k, v in p.policies.items():
        parts.append(f"  {k.capitalize()}: {v}")
    return "\n".join(parts)


def catalog_facts(products: list[Product]) -> str:
    return "\n".join(product_facts(p) for p in products)
