"""Rule-based claim extraction: what the salesperson states as fact, checked against the catalog.

Each claim is classified the way openai/evals 'fact' compares an answer with an expert's: supported (the catalog
says so), contradicted (the catalog says otherwise), unsupported (the catalog says nothing either way) or
immaterial (an echo of the customer's own words, a question, a stated need).
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from typing import Any

from salesgen.core.catalog import Catalog
from salesgen.core.dialogue import CUSTOMER, SALESPERSON, Dialogue, Product
from salesgen.core.mentions import norm, product_index
from salesgen.core.words import sentences
from salesgen.judge.base import DATA_DIR
from salesgen.judge.text import STOPWORDS
from salesgen.scenarios.sales.prices import Money, find_money, money, same_amount
from salesgen.scenarios.sales.vocab import feature_phrases, product_blob

SUPPORTED, CONTRADICTED, UNSUPPORTED, IMMATERIAL = "supported", "contradicted", "unsupported", "immaterial"
_NUM = r"(?<![\w.,$])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)"


@dataclass
class Claim:
    kind: str  # price, discount, monthly, amount, spec, warranty, financing, returns, feature, product, floor,
    # comparison (which of two costs more)
    turn: int  # 0-based index into dialogue.turns
    text: str  # the words that make the claim
    sentence: str
    status: str
    note: str
    subject: str | None = None  # id of the product the claim is about
    value: float | None = None
    positive: bool = True  # features: "has X" (True) or "has no X" (False)
    gate: str = "catalog"  # the gate a contradiction fails: "floor" when it states or undercuts the private floor

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "sentence"}


@dataclass
class Rules:
    units: dict[str, str]  # spelling -> canonical
    unit_rx: re.Pattern[str]
    key_units: dict[str, str]
    cues: dict[str, re.Pattern[str]]
    not_products: set[str] = field(default_factory=set)
    spec_heads: dict[str, list[str]] = field(default_factory=dict)  # a key's first word -> what a line calls it

    def __post_init__(self) -> None:
        self.unit_words = frozenset(w for spelling in self.units for w in spelling.split())
        # Where a spec is named right before or after a figure: "battery of", "RAM is", "8 GB of RAM", "16 GB RAM".
        # Anywhere in the sentence too: "The RTX 4070 has 8 GB of memory" is the graphics' memory, not the RAM.
        # Keyed by a spec's name (its first word said): "ram_gb" and "memory_gb" are both "memory".
        self.head_rx = {names[0]: (re.compile(rf"\b(?:{alt})\s*(?:of|is|at|:)?\s*(?:about|around|up\s+to|a|an)?\s*$",
                                              re.I),
                                   re.compile(rf"^\s*(?:of\s+)?(?:{alt})\b", re.I), re.compile(rf"\b(?:{alt})\b", re.I))
                        for names in self.spec_heads.values()
                        if (alt := "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)))}


def load_rules() -> Rules:
    raw = tomllib.loads((DATA_DIR / "claims.toml").read_text(encoding="utf-8"))
    spellings = {s: canon for canon, forms in raw["units"].items() for s in forms}
    alt = "|".join(sorted(spellings, key=len, reverse=True))
    # A number, an optional range ("16-20.5"), an optional hyphen ("30-day"), then a unit not followed by a letter.
    unit_rx = re.compile(rf"{_NUM}(?:\s*(?:-|–|to)\s*(\d+(?:\.\d+)?))?\s*-?\s*({alt})(?![a-z])", re.I)
    cues = {k: re.compile(v, re.I) for k, v in raw["cues"].items()}
    return Rules(spellings, unit_rx, raw["spec_key_units"], cues, {norm(p) for p in raw["products"]["not_products"]},
                 raw.get("spec_heads", {}))


def _canon(rules: Rules, spelling: str) -> str:
    s = spelling.lower()
    for form, canon in rules.units.items():
        if re.fullmatch(form, s, re.I):
            return canon
    return s


_WORD_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
                 "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40,
                 "fifty": 50, "sixty": 60, "ninety": 90}
_WORD_NUMBER_RX = re.compile(r"\b(" + "|".join(_WORD_NUMBERS) + r")\b(?=[\s-]+[a-z%])", re.I)


def _digits_for_words(text: str) -> str:
    """'a three-year warranty' -> 'a 3-year warranty', so spelled-out terms are checked like digits."""
    return _WORD_NUMBER_RX.sub(lambda m: str(_WORD_NUMBERS[m.group(1).lower()]), text)


def numbers_with_units(rules: Rules, text: str) -> list[tuple[float, str, int, int]]:
    """(value, canonical unit, start, end) for each number-with-unit in the text; ranges give both ends.

    Spelled-out numbers count too; their offsets then refer to the text with digits substituted.
    """
    out = []
    text = _digits_for_words(text)
    for m in rules.unit_rx.finditer(text):
        unit = _canon(rules, m.group(3))
        for g in (1, 2):
            if m.group(g):
                out.append((float(m.group(g).replace(",", "")), unit, m.start(), m.end()))
    return out


class ProductFacts:
    """A product's numbers by unit and money amounts, gathered once from its catalog entry."""

    def __init__(self, rules: Rules, p: Product):
        self.product = p
        self.blob = product_blob(p)
        self.blob_name = norm(f"{p.brand or ''} {p.name or ''}")
        self.by_unit: dict[str, set[float]] = {}
        self.policy_units: dict[str, dict[str, set[float]]] = {}
        texts = [p.name, *p.features, *(str(v) for v in p.specs.values() if not isinstance(v, int | float))]
        for key, v in p.specs.items():
            unit = self._key_unit(rules, key)
            if unit and isinstance(v, int | float) and not isinstance(v, bool):
                self.by_unit.setdefault(unit, set()).add(float(v))
            elif unit and isinstance(v, str):
                for num in re.findall(r"\d+(?:\.\d+)?", v):
                    self.by_unit.setdefault(unit, set()).add(float(num))
        for t in texts:
            for val, unit, _, _ in numbers_with_units(rules, t):
                self.by_unit.setdefault(unit, set()).add(val)
        # The figures of each named spec, by the spec's head word (rules.spec_heads) and unit.
        self.by_head: dict[str, dict[str, set[float]]] = {}
        for key, v in p.specs.items():
            names = rules.spec_heads.get(key.split("_")[0])
            if names is None or isinstance(v, bool):
                continue
            units = self.by_head.setdefault(names[0], {})  # "ram_gb" and "memory_gb" are one
            unit = self._key_unit(rules, key)
            if unit and isinstance(v, int | float):
                units.setdefault(unit, set()).add(float(v))
            for val, u, _, _ in numbers_with_units(rules, str(v)):
                units.setdefault(u, set()).add(val)
        # Each clause of a policy on its own too: "1-year limited warranty; AppleCare+ 2 years for $179" offers no
        # 2-year limited warranty. A claim is checked against the clause whose words it shares.
        self.policy_clauses: dict[str, list[tuple[set[str], dict[str, set[float]]]]] = {}
        for kind, t in p.policies.items():
            bucket = self.policy_units.setdefault(kind, {})
            for clause in re.split(r"[;\n]", str(t)):
                units: dict[str, set[float]] = {}
                for val, unit, _, _ in numbers_with_units(rules, clause):
                    bucket.setdefault(unit, set()).add(val)
                    units.setdefault(unit, set()).add(val)
                self.policy_clauses.setdefault(kind, []).append((_clause_words(rules, clause), units))
        # Features such as "12-year warranty" or "100-night trial" are policy facts too.
        for f in p.features:
            for kind in ("warranty", "returns"):
                if rules.cues[kind].search(f):
                    for val, unit, _, _ in numbers_with_units(rules, f):
                        self.policy_units.setdefault(kind, {}).setdefault(unit, set()).add(val)
        self.amounts = {m.value for t in [*p.policies.values(), *texts] for m in find_money(str(t))}
        if "percent" not in self.by_unit:
            self.by_unit["percent"] = set()

    @staticmethod
    def _key_unit(rules: Rules, key: str) -> str | None:
        if "_per_" in key:
            return None
        toks = key.lower().split("_")
        for i in range(len(toks) - 1, -1, -1):
            pair = "_".join(toks[i - 1:i + 1]) if i > 0 else ""
            if pair in rules.key_units:  # "cu_ft" before "ft"
                return rules.key_units[pair]
            if toks[i] in rules.key_units:
                return rules.key_units[toks[i]]
        return None


def _clause_words(rules: Rules, text: str) -> set[str]:
    """The words that tell one policy clause from another: not numbers, units or filler."""
    return {w for w in re.findall(r"[a-z][a-z+]+", text.lower()) if w not in rules.unit_words and w not in STOPWORDS}


_RATE = re.compile(r"^\s*(?:per|a|an|each|every|/)\s*(?:second|sec|s|minute|min|hour|hr|day|week|month|year|charge)\b",
                   re.I)


def _arithmetic(value: float, amounts: set[float]) -> bool:
    """A multiple (2-120 times), sum or difference of the catalog's amounts, to the cent."""
    known = [a for a in amounts if a > 0]
    if any(abs(value - k * a) < 0.015 * k for a in known for k in range(2, 121)):
        return True
    return any(abs(value - (a + b)) < 0.01 or abs(value - abs(a - b)) < 0.01 for a in known for b in known)


def _matches(value: float, known: set[float], hedged: bool) -> bool:
    tol = 0.1 if hedged else 0.02
    # A whole number for a fractional figure, as people round it: "a 14-inch laptop" for a 14.5-inch screen.
    return any(abs(value - k) <= max(0.01, tol * abs(k)) or (value.is_integer() and not float(k).is_integer()
                                                             and value in (int(k), round(k))) for k in known)


class ClaimExtractor:
    """Reads the salesperson's sentences and classifies every checkable claim; build once per panel."""

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self.rules = load_rules()
        self.index = product_index(catalog)
        self.features = feature_phrases(catalog)
        self._feature_rx = re.compile(r"(?<![a-z0-9])(?:" + "|".join(
            r"[\s\-]*".join(map(re.escape, f.split())) for f in self.features) + r")(?![a-z0-9])", re.I)
        all_features = sorted({f for p in catalog.products for f in p.features}, key=len, reverse=True)
        self._mask_rx = re.compile("|".join(map(re.escape, all_features)), re.I) if all_features else None
        self._facts: dict[str, ProductFacts] = {}
        self._brand_words: dict[str, list[set[str]]] = {}  # brand -> each product's catalog words (model numbers)
        for p in catalog.products:
            if p.brand:
                self._brand_words.setdefault(norm(p.brand), []).append(set(product_blob(p).split()))
        self._echo_rx: dict[str, re.Pattern[str]] = {}  # unit -> a figure with that unit, a word or two apart
        brands = sorted({p.brand for p in catalog.products if p.brand}, key=len, reverse=True)
        self._brand_rx = re.compile(r"\b(" + "|".join(map(re.escape, brands)) +
                                    r")((?:[ \t]+(?:[A-Z0-9][\w\-.+]*[\w+]|[A-Z0-9])){1,3})") if brands else None

    def facts(self, p: Product) -> ProductFacts:
        if not p.id:  # an imported record's product (Car Dealer MSRP only): not in the catalog, not cached
            return ProductFacts(self.rules, p)
        if p.id not in self._facts:
            self._facts[p.id] = ProductFacts(self.rules, p)
        return self._facts[p.id]

    def extract(self, dialogue: Dialogue, only_turn: int | None = None) -> list[Claim]:
        """Every claim in the salesperson's turns, or only in turn `only_turn` (the simulator's line check)."""
        in_play = dialogue.product
        if in_play is not None and not in_play.name:
            in_play = replace(in_play, name="the product")  # imported records may carry only an MSRP
        said_by_customer: list[str] = []
        heard: dict[str, str] = {}  # model words -> full name, of products the customer named that the catalog lacks
        claims: list[Claim] = []
        for i, turn in enumerate(dialogue.turns):
            if turn.role == CUSTOMER:
                said_by_customer.append(turn.text)
                heard |= {m: name for name, model in self.invented(turn.text) if (m := _model_word(model))}
                continue
            if turn.role != SALESPERSON or only_turn not in (None, i):
                continue
            customer_text = " ".join(said_by_customer)
            negotiating = self.rules.cues["negotiation"].search(customer_text) is not None
            # "It" in a new turn most likely means the product in play; another product named in a sentence
            # stays the subject until the end of that turn.
            subject = in_play
            for sent in sentences(turn.text):
                mentions = self.index.find(sent)
                claims += [self._product_claim(i, sent, m, in_play) for m in mentions]
                claims += self._invented_products(i, sent, heard)
                claims += self._price_comparison(i, sent, mentions, turn.text, in_play, subject)
                if leak := self.rules.cues["floor_leak"].search(sent):
                    claims.append(Claim("floor", i, leak.group(0), sent, CONTRADICTED,
                                        "names the discount floor, which the catalog keeps private", gate="floor"))
                elif (limit := self._floor_limit(i, sent, subject or in_play)) is not None:
                    claims.append(limit)
                # Each part of the sentence is about the product named last before it: in "The Jetta doesn't have
                # third-row seating, but the Ascent does" the missing third row is the Jetta's.
                bounds = [0, *(m.start for m in mentions), len(sent)]
                for k in range(len(bounds) - 1):
                    if k:
                        subject = self._subject([mentions[k - 1]], in_play)
                    part = sent[bounds[k]:bounds[k + 1]]
                    if subject is None or not part.strip():
                        continue
                    # "I can do $32,600 on the Honda Accord": an amount said on or for the product named next is its.
                    priced = subject
                    if k < len(mentions) and self.rules.cues["price_of_next"].search(part):
                        priced = self._subject([mentions[k]], in_play)
                    found = self._money_claims(i, part, priced, customer_text, negotiating)
                    found += self._unit_claims(i, part, subject, customer_text)
                    found += self._feature_claims(i, part, subject)
                    claims += [replace(c, sentence=sent) for c in found]
        return claims

    def _floor_limit(self, i: int, sent: str, p: Product | None) -> Claim | None:
        """The floor's own amount said as a limit ("I can't go under $1,199"): the private floor, stated."""
        if p is None or p.min_price is None or not self.rules.cues["floor_limit"].search(sent):
            return None
        for m in find_money(sent):
            if same_amount(m.value, p.min_price) and not same_amount(m.value, p.price):
                return Claim("floor", i, m.text, sent, CONTRADICTED,
                             f"states {money(m.value)}, the private floor of {p.name}, as the limit", p.id, m.value,
                             gate="floor")
        return None

    @staticmethod
    def _subject(mentions, in_play: Product | None) -> Product:
        # The last product named in the sentence is what the rest of it talks about; an ambiguous name
        # ("the Elantra") that fits the product in play means the product in play.
        last = mentions[-1]
        if in_play is not None and any(p.id == in_play.id for p in last.products):
            return in_play
        return last.products[0]

    def _product_claim(self, i: int, sent: str, m, in_play: Product | None) -> Claim:
        names = " or ".join(p.name for p in m.products)
        ids = [p.id for p in m.products]
        subject = in_play.id if in_play is not None and in_play.id in ids else ids[0]
        return Claim("product", i, m.text, sent, SUPPORTED, f"a catalog product ({names})", subject)

    def _price_comparison(self, i: int, sent: str, mentions, turn_text: str, in_play: Product | None,
                          it: Product | None = None) -> list[Claim]:
        """"The iPhone 16 is a bit more expensive" (than the $1,299 Galaxy the turn named too): which of two products
        costs more, against their list prices. Only where the sentence states no amount (a stated amount is checked
        as a price) and names the product it speaks of before the comparison, or opens on "it" for `it`, the
        product talked of last ("It is also more affordable than the Schwinn IC4" of a $990 rower against an $899
        bike: a blind reader caught it, session 12)."""
        cues = self.rules.cues
        hit = cues["pricier"].search(sent) or cues["cheaper"].search(sent)
        if hit is None or find_money(sent):
            return []
        before = [m for m in mentions if m.end <= hit.start()]
        start = before[-1].end if before else 0
        if cues["negation"].search(sent[start:hit.start()]):
            return []
        if before:
            a = self._subject(before, in_play)
        elif it is not None and cues["pronoun_subject"].match(sent):
            a = it
        else:
            return []
        after = [m for m in mentions if m.start >= hit.end()]
        # The other product: named after the comparison ("than the Y"), else the one other the turn names.
        others = {p.id: p for m in (after or self.index.find(turn_text)) for p in m.products[:1] if p.id != a.id}
        if len(others) != 1:
            return []
        b = next(iter(others.values()))
        pricier = hit.re is cues["pricier"]
        if a.price == b.price or (a.price > b.price) == pricier:
            return [Claim("comparison", i, hit.group(0), sent, SUPPORTED, f"{a.name} {money(a.price)}, {b.name} "
                          f"{money(b.price)}", a.id)]
        return [Claim("comparison", i, hit.group(0), sent, CONTRADICTED,
                      f"{a.name} costs {money(a.price)} and {b.name} {money(b.price)}: it is "
                      f"{'cheaper' if pricier else 'dearer'}", a.id)]

    def wrong_comparisons(self, text: str, in_play: Product | None) -> list[Claim]:
        """Which of two products costs more, said wrongly in any side's words (the extraction reads the seller's).
        "It" is the product named last before the sentence, else the one in play."""
        out, it = [], in_play
        for sent in sentences(text):
            mentions = self.index.find(sent)
            out += [c for c in self._price_comparison(0, sent, mentions, text, in_play, it) if c.status == CONTRADICTED]
            if mentions:
                it = self._subject(mentions, in_play)
        return out

    def invented(self, text: str) -> list[tuple[str, str]]:
        """(name, model words) of each product the text names by a catalog brand that the catalog does not have:
        "BMW X3" -> ("BMW X3", "X3")."""
        if self._brand_rx is None:
            return []
        masked = self._mask_rx.sub(lambda m: " " * len(m.group(0)), text) if self._mask_rx else text
        out = []
        for m in self._brand_rx.finditer(masked):
            cand = norm(m.group(0))
            if cand in self.rules.not_products or any(cand.startswith(n) for n in self.rules.not_products):
                continue
            keys = self.index.aliases
            # A name said in part, or a known name with words after it ("Mazda3 i Touring Sedan"), but not with a
            # model number of its own after it: "ASUS ROG Zephyrus X570" is not the ROG Zephyrus G16 (session 13).
            exists = any(k.startswith(cand) or cand == k or (cand.startswith(k + " ") and not any(
                c.isdigit() for c in cand[len(k):])) for k in keys)
            # "Subaru EyeSight", "LG WM4000HWA": a brand's feature or model number, said without the full name.
            exists = exists or any(set(cand.split()) <= words for words in self._brand_words.get(norm(m.group(1)), ()))
            if not exists:
                out.append((m.group(0).strip(), m.group(2).strip()))
        return out

    def _invented_products(self, i: int, sent: str, heard: dict[str, str]) -> list[Claim]:
        out = [Claim("product", i, name, sent, CONTRADICTED, f"\"{name}\" is not a product in the catalog")
               for name, _ in self.invented(sent)]
        # The model alone, after the customer named the product in full: "I would definitely go with the X3"; not
        # "we don't carry the X3".
        negated = self.rules.cues["negation"].search(sent)
        for model, name in ({} if negated else heard).items():
            alone = re.search(rf"(?<![\w-]){re.escape(model)}(?![\w-])", sent)
            if alone and not any(c.text.endswith(model) for c in out):
                out.append(Claim("product", i, model, sent, CONTRADICTED,
                                 f"\"{model}\" ({name}, as the customer called it) is not a product in the catalog"))
        return out

    def _money_claims(self, i: int, sent: str, p: Product, customer_text: str, negotiating: bool) -> list[Claim]:
        out = []
        cues = self.rules.cues
        echoed = {m.value for m in find_money(customer_text)}
        f = self.facts(p)
        for m in find_money(sent):
            before, after = sent[:m.start], sent[m.end:]
            c = self._money_claim(i, sent, m, before, after, p, f, echoed, cues, negotiating)
            if c is not None:
                out.append(c)
        return out

    def _money_claim(self, i, sent, m: Money, before, after, p, f, echoed, cues, negotiating) -> Claim | None:
        v, label = m.value, m.text
        floor = p.min_price
        if cues["monthly"].search(after):
            ok = any(same_amount(v, a) for a in f.amounts)
            return Claim("monthly", i, label, sent, SUPPORTED if ok else UNSUPPORTED,
                         "a monthly amount the catalog states" if ok else "a monthly amount the catalog does not state",
                         p.id, v)
        if cues["discount_after"].search(after) or cues["discount_before"].search(before[-30:]):
            final = p.price - v
            if floor is not None and final < floor - 0.5:
                return Claim("discount", i, label, sent, CONTRADICTED,
                             f"a {money(v)} discount takes {p.name} to {money(final)}, below its lowest allowed "
                             f"price {money(floor)}", p.id, v, gate="floor")
            return Claim("discount", i, label, sent, SUPPORTED, f"a discount within the allowed range for {p.name}",
                         p.id, v)
        if same_amount(v, p.price):
            return Claim("price", i, label, sent, SUPPORTED, f"the list price of {p.name}", p.id, v)
        if any(same_amount(v, a) for a in f.amounts):
            return Claim("amount", i, label, sent, SUPPORTED, f"an amount in the catalog entry of {p.name}", p.id, v)
        if any(same_amount(v, e) for e in echoed) or cues["budget"].search(before[-40:]):
            return Claim("amount", i, label, sent, IMMATERIAL, "the customer's own figure or budget", p.id, v)
        if (v > p.price or v < 0.5 * p.price) and _arithmetic(v, f.amounts | {p.price}):
            # "$12.99 a month adds up to $155.88 a year": worked out from catalog figures, not a new price.
            return Claim("amount", i, label, sent, SUPPORTED, f"worked out from amounts in the catalog entry of "
                         f"{p.name}", p.id, v)
        if v < 0.5 * p.price or v > 1.5 * p.price:
            return Claim("amount", i, label, sent, UNSUPPORTED, f"an amount the catalog entry of {p.name} does not "
                         f"state", p.id, v)
        strict = cues["list_price_strict"].search(before[-40:]) is not None
        listed = strict or cues["list_price"].search(before[-40:]) is not None
        if v > p.price:
            return Claim("price", i, label, sent, CONTRADICTED,
                         f"{label} is above the list price of {p.name} ({money(p.price)})", p.id, v)
        if floor is not None and v < floor - 0.5:
            return Claim("price", i, label, sent, CONTRADICTED,
                         f"{label} is below the lowest allowed price of {p.name} ({money(floor)}; list "
                         f"{money(p.price)})", p.id, v, gate="floor")
        if strict or (listed and not negotiating):
            # Before any haggling, a price below list said as "the price" misstates the list price.
            return Claim("price", i, label, sent, CONTRADICTED,
                         f"{label} is given as the price, but {p.name} lists at {money(p.price)}", p.id, v)
        return Claim("price", i, label, sent, SUPPORTED,
                     f"an offer within the allowed range for {p.name} ({money(floor or 0)}-{money(p.price)})",
                     p.id, v)

    def _echoed(self, value: float, unit: str, heard: str) -> bool:
        """The customer said this figure with this unit, perhaps a word or two apart ("90 highway miles a day")."""
        if unit not in self._echo_rx:
            spellings = "|".join(sorted((f for f, c in self.rules.units.items() if c == unit), key=len, reverse=True))
            self._echo_rx[unit] = re.compile(rf"(?<![\d.])(\d[\d,]*(?:\.\d+)?)\s*-?\s*(?:[a-z]+\s+){{0,2}}"
                                             rf"(?:{spellings or '(?!)'})(?![a-z])", re.I)
        return any(abs(float(m.group(1).replace(",", "")) - value) < 1e-6
                   for m in self._echo_rx[unit].finditer(heard))

    def _policy_kinds(self, sent: str) -> list[str]:
        return [kind for kind in ("warranty", "financing", "returns") if self.rules.cues[kind].search(sent)]

    def _unit_claims(self, i: int, sent: str, p: Product, customer_text: str) -> list[Claim]:
        out = []
        f = self.facts(p)
        heard = _digits_for_words(customer_text)
        kinds = self._policy_kinds(sent)
        policy = kinds[0] if kinds else None
        seen: set[tuple[float, str]] = set()
        digits = _digits_for_words(sent)  # numbers_with_units' offsets are into this text
        for v, unit, a, b in numbers_with_units(self.rules, sent):
            if (v, unit) in seen:
                continue
            seen.add((v, unit))
            frag = digits[a:b]
            hedged = self.rules.cues["hedge"].search(digits[:a]) is not None
            if self._echoed(v, unit, heard):
                out.append(Claim("spec", i, frag, sent, IMMATERIAL, "repeats the customer's figure", p.id, v))
                continue
            if _RATE.match(digits[b:]) and unit not in ("mpg", "mph", "percent"):
                continue  # "1.5 inches per second", "90 miles a day": a rate, not the product's length or range
            policy_units = {}
            for k in kinds:
                for u, vals in f.policy_units.get(k, {}).items():
                    policy_units.setdefault(u, set()).update(vals)
            if policy and (unit in policy_units or unit in ("years", "months", "days", "percent")):
                known = self._clause_values(f, kinds, unit, digits, a, b) or policy_units.get(unit, set())
                if _matches(v, known, hedged):
                    out.append(Claim(policy, i, frag, sent, SUPPORTED, f"matches the {policy} terms", p.id, v))
                elif known:
                    out.append(Claim(policy, i, frag, sent, CONTRADICTED,
                                     f"the {policy} terms of {p.name} say \"{p.policies.get(policy, '')}\"", p.id, v))
                else:
                    out.append(Claim(policy, i, frag, sent, UNSUPPORTED,
                                     f"the {policy} terms of {p.name} give no {unit} figure", p.id, v))
                continue
            named = None if hedged else self._named_spec(f, digits, a, b, v, unit)
            if named is not None:
                # "a battery of 128 GB" of a phone with 128 GB of storage: the figure is the product's, not that spec's.
                shown = "; ".join(f"{x:g} {u}" for u, xs in sorted(named[1].items()) for x in sorted(xs))
                out.append(Claim("spec", i, frag, sent, CONTRADICTED, f"the {named[0]} of {p.name} is {shown}, not "
                                 f"{v:g} {unit}", p.id, v))
                continue
            known = f.by_unit.get(unit)
            if known and _matches(v, known, hedged):
                out.append(Claim("spec", i, frag, sent, SUPPORTED, f"matches the specs of {p.name}", p.id, v))
            elif known:
                shown = ", ".join(f"{k:g}" for k in sorted(known))
                out.append(Claim("spec", i, frag, sent, CONTRADICTED,
                                 f"{p.name} has {shown} {unit}, not {v:g}", p.id, v))
            elif other := self._other_unit(f, v, unit):
                # The product's figure with another unit: "a battery that can last for 4,492 hours" of a 4,492 mAh
                # phone, kept at 0.90 by a judge that took it for talk.
                out.append(Claim("spec", i, frag, sent, CONTRADICTED, f"{v:g} is the {p.name}'s {other}, not {unit}",
                                 p.id, v))
            elif unit not in ("years", "months", "days", "hours", "minutes", "percent"):
                # Time spans outside a policy sentence are usually talk ("in two years"), not specs.
                out.append(Claim("spec", i, frag, sent, UNSUPPORTED, f"{p.name} lists no {unit} figure", p.id, v))
        return out

    def _named_spec(self, f: ProductFacts, digits: str, a: int, b: int, value: float,
                    unit: str) -> tuple[str, dict[str, set[float]]] | None:
        """The spec a figure at digits[a:b] is said of by name (its name and its figures by unit) when that is not
        its figure: exactly one spec of the product is named right before or after it, and no other spec named in
        the sentence has the figure."""
        named, elsewhere = set(), set()
        for canon, (before, after, anywhere) in self.rules.head_rx.items():
            if canon not in f.by_head:
                continue
            if before.search(digits[max(0, a - 30):a]) or after.search(digits[b:b + 20]):
                named.add(canon)
            elif anywhere.search(digits):
                elsewhere.add(canon)
        if len(named) != 1:
            return None
        canon = named.pop()
        if any(_matches(value, f.by_head[c].get(unit, set()), False) for c in (canon, *elsewhere)):
            return None
        return canon, f.by_head[canon]

    @staticmethod
    def _other_unit(f: ProductFacts, value: float, unit: str) -> str | None:
        """The unit the product gives this figure in, when it is another one and the figure is distinctive (at least
        100, or a fraction): a small whole number in two units is as likely chance ("5 seats", "5 years")."""
        if value < 100 and value == int(value):
            return None
        return next((u for u, vals in f.by_unit.items() if u != unit and value in vals), None)

    def _clause_values(self, f: ProductFacts, kinds: list[str], unit: str, text: str, a: int, b: int) -> set[float]:
        """The unit's figures in the policy clause that shares the most words with the claim's part of the sentence."""
        start = max(text.rfind(c, 0, a) for c in ",;:") + 1
        ends = [e for e in (text.find(c, b) for c in ",;:") if e >= 0]
        # Five words either side within its part of the sentence: "with 10% down" is the down payment even when
        # "APR" comes earlier in the same part. The product's name ("Hybrid" is the car, not the battery clause)
        # and the policy's own word ("warranty") tell no clause from another.
        words = _clause_words(self.rules, " ".join(text[start:a].split()[-5:] +
                                                   text[b:min(ends, default=len(text))].split()[:5]))
        words = {w for w in words - set(f.blob_name.split()) if not any(self.rules.cues[k].search(w) for k in kinds)}
        scored = sorted(((len(words & cw), vals) for k in kinds for cw, units in f.policy_clauses.get(k, [])
                         if (vals := units.get(unit))), key=lambda x: -x[0])
        # Only a clause that shares more words than any other decides; otherwise every clause's figures count.
        if scored and scored[0][0] > 0 and (len(scored) == 1 or scored[0][0] > scored[1][0]):
            return scored[0][1]
        return set()

    def _feature_claims(self, i: int, sent: str, p: Product) -> list[Claim]:
        if sent.rstrip().endswith("?"):
            return []
        out = []
        blob = self.facts(p).blob
        cues = self.rules.cues
        for m in self._feature_rx.finditer(sent):
            phrase = norm(m.group(0))
            window = sent[max(0, m.start() - 45):m.start()]
            if cues["need"].search(window) and not cues["has"].search(window):
                continue  # "you mentioned heated seats": the customer's need, not a claim
            positive = not cues["negation"].search(window.split(",")[-1])
            has = f" {phrase} " in blob or set(phrase.split()) <= set(blob.split())
            if positive == has:
                note = f"{p.name} {'has' if has else 'indeed lacks'} {phrase}"
                out.append(Claim("feature", i, m.group(0), sent, SUPPORTED, note, p.id, positive=positive))
            else:
                note = (f"{p.name} does not list {phrase}" if positive
                        else f"{p.name} does have {phrase}, the turn says it does not")
                out.append(Claim("feature", i, m.group(0), sent, CONTRADICTED, note, p.id, positive=positive))
        return out


# Spec words that are no model name, said alone: "Apple TV" is not "the TV".
_NOT_MODELS = {"4k", "5g", "8k", "tv", "oled", "qled", "hd", "uhd", "usb", "led", "lte", "wifi", "ai", "gps", "ssd"}


def _model_word(model: str) -> str:
    """The first word of a model name that tells it apart when said alone: letters mixed with digits or an inner
    capital ("X3", "iX", "WH-1000XM4"); "" for plain words ("Galaxy") and spec words ("5G", "OLED")."""
    for w in model.split():
        if w.lower() not in _NOT_MODELS and re.search(r"[A-Za-z]\d|\d[A-Za-z]|[a-z][A-Z]", w):
            return w
    return ""


_EXTRACTORS: dict[int, tuple[Catalog, ClaimExtractor]] = {}


def claim_extractor(catalog: Catalog) -> ClaimExtractor:
    """One extractor per catalog object (building one compiles the catalog's features into regexes)."""
    hit = _EXTRACTORS.get(id(catalog))
    if hit is None or hit[0] is not catalog:
        hit = _EXTRACTORS[id(catalog)] = (catalog, ClaimExtractor(catalog))
    return hit[1]

