"""Money amounts in text: '$36,800', '$1.2k', '36,800 dollars', 'thirty-seven thousand dollars'."""
from __future__ import annotations

import re
from dataclasses import dataclass

from salesgen.core.dialogue import Persona, Product, Turn

_MONEY = re.compile(
    r"(?:\$\s?(?P<a>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<ac>\d{1,2}))?(?:\s?(?P<ak>[kK]\b|thousand\b|grand\b))?)"
    r"|(?:\b(?P<b>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<bc>\d{1,2}))?\s?(?P<bk>[kK]|thousand)?\s+(?:dollars|bucks|USD)\b)",
)
_UNITS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
          "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
          "seventeen": 17, "eighteen": 18, "nineteen": 19}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
         "ninety": 90}
_NUM_WORD = "|".join(list(_UNITS) + list(_TENS) + ["hundred", "thousand", "and", "a"])
_WORDS_MONEY = re.compile(rf"\b((?:(?:{_NUM_WORD})[\s-]+)*(?:{_NUM_WORD}))\s+(?:dollars|bucks)\b", re.I)


def money(x: float) -> str:
    """An amount as the dialogues write it: "$36,800", "$19.99"."""
    return f"${x:,.0f}" if float(x).is_integer() else f"${x:,.2f}"


@dataclass
class Money:
    value: float
    text: str
    start: int
    end: int


def _words_to_number(words: str) -> float | None:
    total, current = 0, 0
    for w in re.split(r"[\s-]+", words.lower()):
        if w in _UNITS:
            current += _UNITS[w]
        elif w in _TENS:
            current += _TENS[w]
        elif w == "hundred":
            current = max(current, 1) * 100
        elif w == "thousand":
            total += max(current, 1) * 1000
            current = 0
        elif w in ("and", "a"):
            continue
        else:
            return None
    value = total + current
    return float(value) if value else None


def find_money(text: str) -> list[Money]:
    """Every amount of money in the text, in order."""
    out = []
    for m in _MONEY.finditer(text):
        num, cents, k = (m.group("a"), m.group("ac"), m.group("ak")) if m.group("a") else \
            (m.group("b"), m.group("bc"), m.group("bk"))
        value = float(num.replace(",", "")) + (float("0." + cents) if cents else 0.0)
        if k:
            value *= 1000
        out.append(Money(value, m.group(0), m.start(), m.end()))
    for m in _WORDS_MONEY.finditer(text):
        v = _words_to_number(m.group(1))
        if v and not any(o.start <= m.start() < o.end for o in out):
            out.append(Money(v, m.group(0), m.start(), m.end()))
    return sorted(out, key=lambda x: x.start)


def same_amount(a: float, b: float, rel: float = 0.005) -> bool:
    return abs(a - b) <= max(0.5, rel * max(abs(a), abs(b)))


def closing_prices(turns: list[Turn], reference: float | None = None, ceiling: float | None = None) -> list[float]:
    """Amounts in the last two exchanges (where a price is agreed) that could be a product's price: not monthly
    payments or discounts, at least half the reference price when one is known (not a fee or an accessory), and not
    above the `ceiling` when one is given (a list price: an amount over it is a budget or a total)."""
    out = []
    for text in (t.text for t in turns[-4:]):
        for m in find_money(text):
            tail = text[m.end:m.end + 12].lower()
            if re.match(r"\s*(?:/|per|a)\s*(?:mo|month)", tail) or re.match(r"\s*(?:off|discount)", tail):
                continue
            if (reference is None or m.value >= 0.5 * reference) and (ceiling is None or m.value <= ceiling):
                out.append(m.value)
    return out


# The three rules a recorded purchase price keeps; the decision judge checks them and the simulator asks a closing
# "yes" again that breaks one. The tolerances absorb rounding ("$36,800" for 36,799.99), not bargaining.
def list_ceiling(list_price: float) -> float:
    """The most a product sells for: its list price, 1 % over for rounding."""
    return list_price * 1.01


def within_budget(price: float, persona: Persona) -> bool:
    return not persona.budget or price <= persona.budget * 1.0001 or persona.over_budget_ok


def above_floor(price: float, product: Product) -> bool:
    return product.min_price is None or price >= product.min_price * 0.9999


def sells_for(price: float, product: Product) -> bool:
    """A price the product may sell at: from its discount floor up to its list price."""
    return above_floor(price, product) and price <= list_ceiling(product.price)
