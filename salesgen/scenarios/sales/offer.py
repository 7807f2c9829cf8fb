"""The salesperson's final offer, read off the closing line: the product it names and the price it states.

The customer's closing request quotes it, so the customer accepts or refuses a price that was said instead of
writing one of its own (the 1.5B customer named its budget as the price in 6 of 10 closes, BENCHMARKS.md §2f).
"""
from __future__ import annotations

from dataclasses import dataclass

from salesgen.core.catalog import Catalog
from salesgen.core.dialogue import SALESPERSON, Persona, Product, Turn
from salesgen.core.mentions import ProductIndex
from salesgen.scenarios.sales.prices import closing_prices, sells_for, within_budget


@dataclass(frozen=True)
class Offer:
    product: Product
    price: float
    stated: bool  # the line said this price; otherwise it is the list price of the product it names

    def fits(self, persona: Persona) -> bool:
        return within_budget(self.price, persona)

    def record(self) -> dict:
        return {"product_id": self.product.id, "price": self.price, "stated": self.stated}


def final_offer(text: str, products: list[Product]) -> Offer:
    """The lowest amount in the line that one of the products it names can sell for (between its discount floor and
    its list price): "I can do $8,700 instead of $8,900" offers $8,700. Without one, the list price of the first
    product it names, or of the product in play."""
    named = ProductIndex(Catalog(products)).named(text) or products[:1]
    amounts = closing_prices([Turn(role=SALESPERSON, text=text, timestamp="")], min(p.price for p in named))
    for x in sorted(amounts):
        for p in named:
            if sells_for(x, p):
                return Offer(p, x, True)
    return Offer(named[0], named[0].price, False)
