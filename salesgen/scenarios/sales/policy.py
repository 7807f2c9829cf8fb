"""The two sides of a sale as rules: each decides its next act from its own private state and the public moves.

The seller knows its lot (the category's catalog entries, their discount floors and policies) and what the customer
has said; the customer knows its persona (needs, must-haves, budget and whether it may stretch, strategy,
temperament). Neither reads the other's private state: the seller learns the budget only when the customer says it.
An act is a name and public slots; the episode turns it into a brief for the voice.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

from salesgen.core.dialogue import CUSTOMER, SALESPERSON, Persona, Product
from salesgen.core.mentions import norm

DISCOUNT_STRATEGY = "only buys with a discount"
STRICT_STRATEGY = "only buys if all must-have features are met"
IMPATIENT_STRATEGY = "impatient: wants a quick answer"
COMPARE_STRATEGY = "compares with competitors"
CHATTY = {"talkative"}
HAGGLERS = {"price-conscious"}
POLICIES = ("warranty", "financing", "returns")


@dataclass
class Act:
    role: str
    act: str
    slots: dict[str, Any] = field(default_factory=dict)
    final: bool = False


def has_feature(product: Product, feature: str) -> bool:
    """A must-have is met when one of the product's catalog features says it ("heated seats" in "heated front
    seats" does not count: the words must appear in order, as a whole)."""
    want = f" {norm(feature)} "
    return any(want in f" {norm(f)} " for f in product.features)


def price_step(price: float) -> float:
    """The granularity a price is said in: $100 on a car, $10 on a sofa, $1 below that."""
    return 100.0 if price >= 5000 else 10.0 if price >= 500 else 1.0


def round_price(x: float, floor: float, ceiling: float) -> float:
    """`x` rounded down to a sayable amount, never under the floor nor over the list price."""
    step = price_step(ceiling)
    down = math.floor(x / step) * step
    if down < floor:
        down = math.ceil(floor / step) * step
    return float(min(max(down, floor), ceiling))


def floor_of(p: Product) -> float:
    return p.min_price if p.min_price is not None else p.price


# ---------------------------------------------------------------------------------------------------------------
# The seller


REACH = 1.2  # a floor up to this share of the budget said is a little over it, not out of reach


def in_reach(p: Product, budget: float) -> bool:
    return floor_of(p) <= budget * REACH


def answers(p: Product, want_type: str | None, musts: list[str]) -> bool:
    """Of the wanted type, or with one of the must-haves: what a shopper weighs at all (a mattress is no answer to a
    sofa shopper, whatever its price)."""
    return bool(want_type and p.body_type == want_type) or any(has_feature(p, f) for f in musts)


class SellerPolicy:
    """Asks about needs, recommends the product that fits what the customer said, answers with catalog facts,
    lowers a price only when asked and never under the floor, and makes a final offer in the last exchange."""

    def __init__(self, lot: list[Product], first: Product, rng: random.Random, shapes: frozenset[str] = frozenset()):
        self.lot, self.first, self.rng = lot, first, rng
        self.shapes = shapes  # body types that name a shape: "a sedan, not an SUV" is said only between two
        self.said: dict[str, Any] = {}  # what the customer has said: needs, must_haves, type, brand, budget
        self.product: Product | None = None
        self.price: float | None = None
        self.discounts = 0

    def observe(self, act: Act) -> None:
        if act.role != CUSTOMER:
            return
        for key in ("needs", "must_haves", "type", "brand", "budget"):
            if act.slots.get(key):
                self.said[key] = act.slots[key]

    def relevant(self, p: Product) -> bool:
        """A product of the wanted type, or with one of the must-haves said: a mattress that fits the budget is no
        answer to a sofa shopper who cannot pay for the sofa (its must-haves are the sofa's)."""
        want_type, musts = self.said.get("type"), self.said.get("must_haves") or []
        return answers(p, want_type, musts) or not (want_type or musts)

    def _fit(self, p: Product) -> float:
        s = 0.0 if self.relevant(p) else -12.0  # outweighs any budget fit
        want_type, brand, budget = self.said.get("type"), self.said.get("brand"), self.said.get("budget")
        if want_type and p.body_type == want_type:  # a truck buyer wants a truck more than one must-have, and
            s += 6  # one a little over its budget more than a cheaper car (an Elantra sold to a convertible shopper)
        if brand and p.brand == brand:
            s += 1.5
        s += 2 * sum(has_feature(p, f) for f in self.said.get("must_haves", []))
        if budget:  # a product it cannot pay even at the floor is no fit, whatever its features (a $80,450 Porsche
            # was recommended to a $10,000 buyer for its leather seats and sunroof); one a little over it still is (a
            # $25,200 Jetta was offered to an SUV shopper with $30,000 before a Subaru Outback at $31,500)
            s += 4 if p.price <= budget else 2 if floor_of(p) <= budget else -1 if in_reach(p, budget) else -6
        return s + 0.5 * (p.id == self.first.id)  # the product the customer came in for, other things equal

    def _other_shape(self, p: Product) -> str | None:
        """The body shape the customer asked for, where `p` is of another shape; else None."""
        wanted = self.said.get("type")
        return wanted if wanted and p.body_type != wanted and {wanted, p.body_type} <= self.shapes else None

    def _offer(self, p: Product, price: float | None = None) -> None:
        if self.product is None or p.id != self.product.id:
            self.discounts = 0
        self.product, self.price = p, price if price is not None else p.price

    def greet(self) -> Act:
        return Act(SALESPERSON, "greet")

    def respond(self, heard: Act, exchange: int, last: bool) -> Act:
        """The answer to the customer's last act; in the last exchange it carries the final offer."""
        act = self._answer(heard)
        act.final = last
        if self.product is not None:
            act.slots.setdefault("product", self.product.name)
            act.slots.setdefault("price", self.price)
        return act

    def _answer(self, heard: Act) -> Act:
        s = heard.slots
        if heard.act == "state_needs" or self.product is None:
            best = max(self.lot, key=lambda p: (self._fit(p), -abs(p.price - self.first.price)))
            self._offer(best)
            wanted = self.said.get("type")
            other_type = self._other_shape(best) is not None
            missing_type = bool(wanted and best.body_type != wanted and all(p.body_type != wanted for p in self.lot))
            met = [f for f in self.said.get("must_haves", []) if has_feature(best, f)]
            # Said out loud: asked for heated seats and offered a product without them, the 1.5B voice claimed them.
            lacks = [f for f in self.said.get("must_haves", []) if not has_feature(best, f)]
            # Another brand than the one preferred is said too: offered a Toyota after "I prefer BMW" without a word,
            # a blind reader read the seller as not listening.
            brand = self.said.get("brand")
            return Act(SALESPERSON, "recommend", {"met": met, "lacks": lacks or None,
                                                  "no_type": wanted if missing_type else None,
                                                  # said too when the lot has that type but not one that fits better
                                                  "not_type": wanted if other_type and not missing_type else None,
                                                  "not_brand": brand if brand and best.brand != brand else None})
        if heard.act == "ask_feature":
            feature = s["feature"]
            if has_feature(self.product, feature):
                return Act(SALESPERSON, "feature_yes", {"feature": feature})
            budget = self.said.get("budget")
            alts = [p for p in self.lot if p.id != self.product.id and has_feature(p, feature)
                    and (not budget or floor_of(p) <= budget)]
            if alts:
                old = self.product
                self._offer(max(alts, key=self._fit))
                met = [f for f in self.said.get("must_haves", []) if has_feature(self.product, f)]
                return Act(SALESPERSON, "feature_switch", {"feature": feature, "instead_of": old.name, "met": met})
            return Act(SALESPERSON, "feature_no", {"feature": feature})
        if heard.act == "ask_policy":
            return Act(SALESPERSON, "policy", {"policy": s["policy"]})
        if heard.act == "ask_compare":
            return Act(SALESPERSON, "compare", {"alt": s["alt"]})
        if heard.act == "ask_discount":
            return self._discount(s.get("counter"))
        return Act(SALESPERSON, "close")

    def _discount(self, counter: float | None) -> Act:
        assert self.product is not None and self.price is not None
        p, floor = self.product, floor_of(self.product)
        budget = self.said.get("budget")
        # Even the lowest price of this one is over what they said: a cheaper product that fits, if any; where the
        # lowest is only a little over (REACH), that price first.
        if budget and floor > budget and (not in_reach(p, budget) or self.price <= floor):
            cheaper = [q for q in self.lot if floor_of(q) <= budget and q.id != p.id and self.relevant(q)]
            if cheaper:
                old = p
                q = max(cheaper, key=lambda x: (self._fit(x), x.price))
                self._offer(q, round_price(min(q.price, budget), floor_of(q), q.price))
                # Another shape than asked is said, as in a recommendation.
                return Act(SALESPERSON, "cheaper", {"instead_of": old.name, "not_type": self._other_shape(q)})
        if self.price <= floor or self.discounts >= 2:
            return Act(SALESPERSON, "hold")
        self.discounts += 1
        if self.discounts == 1:
            target = self.price - 0.5 * (self.price - floor)
            if counter:
                target = max(target, counter)
            if budget and floor <= budget < self.price:
                target = max(target, budget)
            if budget and budget < floor:  # the lowest price, still a little over their budget
                target = floor
        else:
            target = max(floor, counter or floor, budget or floor) if (counter or budget) else floor
        new = round_price(min(target, self.price), floor, p.price)
        if new >= self.price:
            self.discounts -= 1
            return Act(SALESPERSON, "hold")
        old, self.price = self.price, new
        return Act(SALESPERSON, "discount", {"old_price": old})


# ---------------------------------------------------------------------------------------------------------------
# The customer


class CustomerPolicy:
    """States its needs, asks about its must-haves, may compare and haggle, and decides by rules: it buys only a
    product with its must-haves, at a price within its budget (or its stretch), with a discount if its strategy
    wants one."""

    def __init__(self, persona: Persona, limit: float, rng: random.Random, max_exchanges: int,
                 alternatives: list[Product]):
        self.p, self.limit, self.rng = persona, limit, rng
        self.alternatives = alternatives
        strategy = persona.strategy
        low, high = (2, 3) if strategy == IMPATIENT_STRATEGY else (4, 5) if persona.personality in CHATTY else (3, 5)
        self.patience = max(2, min(max_exchanges, rng.randint(low, high)))
        self.max_exchanges = max_exchanges
        self.haggler = persona.personality in HAGGLERS or strategy == DISCOUNT_STRATEGY or rng.random() < 0.35
        self.says_budget_early = rng.random() < (0.6 if self.haggler else 0.3)
        self.says_budget_when_haggling = rng.random() < 0.6
        self.curious = rng.choice([None, *POLICIES]) if rng.random() < 0.5 else None
        self.compares = strategy == COMPARE_STRATEGY or rng.random() < 0.15
        self.budget_said = False
        self.product: str | None = None  # the offer as said: product name and price
        self.price: float | None = None
        self.list_price: float | None = None
        self.policies: dict[str, str] = {}  # the store's terms for the offer, as its catalog entry gives them
        self.known: dict[str, dict[str, bool]] = {}  # product name -> must-have -> present, as the seller said
        self.asked: set[tuple[str, str]] = set()
        self.discount_asks = 0
        self.held = False
        self.other_type: set[str] = set()  # products the seller said are not the body type it came in for

    def observe(self, act: Act, products: dict[str, Product]) -> None:
        """What the seller's act tells the customer: the offer, and which must-haves the product has or lacks."""
        if act.role == CUSTOMER:
            return
        s = act.slots
        name = s.get("product")
        if name and name != self.product:
            self.product, self.list_price = name, products[name].price
            self.policies = products[name].policies
            self.discount_asks, self.held = 0, False
        if s.get("price") is not None:
            self.price = s["price"]
        known = self.known.setdefault(name, {}) if name else {}
        for f in s.get("met") or []:
            known[f] = True
        for f in s.get("lacks") or []:  # said in the recommendation's opening words: not asked again
            known[f] = False
        if act.act == "feature_yes":
            known[s["feature"]] = True
        if act.act == "feature_no":
            known[s["feature"]] = False
        if act.act == "hold":
            self.held = True
        if s.get("not_type") or s.get("no_type"):
            self.other_type.add(name)

    def told(self, product: str, features: list[str]) -> None:
        """Must-haves the seller stated for `product` among its facts."""
        known = self.known.setdefault(product, {})
        for f in features:
            known.setdefault(f, True)

    def state_needs(self) -> Act:
        p = self.p
        slots: dict[str, Any] = {"needs": p.needs, "must_haves": list(p.preferred_features),
                                 "type": p.preferred_type, "brand": p.preferred_brand}
        if self.says_budget_early:
            slots["budget"] = p.budget
            self.budget_said = True
        return Act(CUSTOMER, "state_needs", slots)

    def respond(self, exchange: int, last: bool) -> Act:
        if self.product in self.other_type and exchange >= 3:
            # It hears the other type out once, then goes: sold a sedan after asking for a convertible, the buyer read
            # to a blind reader as one the seller did not listen to (3 of 24 rejections, session 11).
            return self._decide()
        unconfirmed = self.product is not None and any(
            f not in self.known.get(self.product, {}) for f in self.p.preferred_features)
        # Past its patience a customer still asks about a must-have no one confirmed: it does not buy blind (an
        # impatient buyer of a truck "with heated seats" took one whose seats no one mentioned).
        # Nor does a discount-seeker decide before it asked for one: it turned down a sedan under its budget "for no
        # discount" it never asked for, which a reader took for a contradiction.
        unasked = self._wants_discount() and not self.discount_asks and not self.held
        if not last and unasked and exchange >= self.max_exchanges - 1:  # its last chance to ask: the price first
            ask = self._ask_discount()
            if ask is not None:
                return ask
        if not last and (exchange < self.patience or unconfirmed or unasked):
            ask = self._next_question()
            if ask is not None:
                return ask
        return self._decide()

    def _next_question(self) -> Act | None:
        name = self.product
        if name is None:
            return None
        known = self.known.get(name, {})
        for f in self.p.preferred_features:
            if f not in known and (name, f) not in self.asked:
                self.asked.add((name, f))
                return Act(CUSTOMER, "ask_feature", {"feature": f, "product": name})
        ask = self._ask_discount()
        if ask is not None:
            return ask
        if self.compares and self.alternatives and ("compare", "") not in self.asked:
            self.asked.add(("compare", ""))
            # One a shopper would weigh against it: of the type it wants (a sedan for an SUV shopper, a blind reader
            # rejected, session 12), else with one of its must-haves (the nearest-priced furniture to a mattress is a
            # chair), and within what it may pay (not an $81,000 Lexus on a $70,000 budget).
            want = self.p.preferred_type
            alt = next((a for a in self.alternatives if a.name != name and a.price <= self.limit
                        and (a.body_type == want if want else answers(a, None, self.p.preferred_features))), None)
            if alt is not None:
                return Act(CUSTOMER, "ask_compare", {"product": name, "alt": alt.name})
        # Not a term the product does not have: asked about the warranty on a subscription, the seller said "not
        # applicable … as a repair would cost a lot".
        applies = not str(self.policies.get(self.curious or "", "")).lower().startswith("not applicable")
        if self.curious and applies and ("policy", self.curious) not in self.asked:
            self.asked.add(("policy", self.curious))
            return Act(CUSTOMER, "ask_policy", {"policy": self.curious, "product": name})
        return None

    def _ask_discount(self) -> Act | None:
        """A request for a lower price, when the offer is over its limit or a haggler heard the list price."""
        name, over = self.product, self.over_limit()
        wants_cut = self.haggler and self.price is not None and self.list_price is not None \
            and self.price >= self.list_price
        # Not for a product that lacks a must-have (it will not buy it anyway), but a discount-seeker asks still.
        if (over or wants_cut) and not self.held and self.discount_asks < 2 and \
                (not (self._lacks() or self.product in self.other_type) or self.p.strategy == DISCOUNT_STRATEGY):
            self.discount_asks += 1
            slots: dict[str, Any] = {"product": name, "price": self.price}
            if self.says_budget_when_haggling and not self.budget_said and self.p.budget < (self.price or 0):
                slots["budget"] = self.p.budget
                self.budget_said = True
            if self.budget_said and self.price is not None and self.price <= self.p.budget:
                # Haggling within a budget it has said: "That's more than I want to spend, $74,500" after "my budget
                # is $90,000" read to a blind reader as a buyer who contradicts itself.
                slots["affordable"] = True
            base = self.p.budget if self.budget_said and self.p.budget < (self.price or 0) else (self.price or 0) * 0.9
            # Never more than it would pay: a buyer with $1,300 countered $1,520 for a $1,699 laptop, and would have
            # turned down its own price had the seller met it.
            base = min(base, self.limit)
            if self.rng.random() < 0.7:
                slots["counter"] = round_price(base, 0, self.price or base)
            return Act(CUSTOMER, "ask_discount", slots)
        return None

    def _wants_discount(self) -> bool:
        """A discount-seeker offered the list price."""
        return self.p.strategy == DISCOUNT_STRATEGY and self.list_price is not None and self.price is not None \
            and self.price >= self.list_price

    def over_limit(self) -> bool:
        """The offer as said costs more than the customer can pay (its budget, or its stretch)."""
        return self.price is not None and self.price > self.limit

    def _lacks(self) -> list[str]:
        known = self.known.get(self.product or "", {})
        return [f for f in self.p.preferred_features if known.get(f) is False]

    def reasons_against(self) -> list[tuple[str, str]]:
        """Why the offer as said does not do, as (reason, the must-haves it concerns); empty when it does."""
        out = [("other_type", "")] if self.product in self.other_type else []
        lacks = self._lacks()
        unknown = [f for f in self.p.preferred_features if f not in self.known.get(self.product or "", {})]
        strict = self.p.strategy == STRICT_STRATEGY
        if lacks and (strict or len(lacks) > 1 or len(lacks) == len(self.p.preferred_features)):
            out.append(("lacks", ", ".join(lacks)))
        if strict and unknown:
            out.append(("unconfirmed", ", ".join(unknown)))
        if self.price is None or self.product is None:
            out.append(("no_offer", ""))
        elif self.over_limit():
            out.append(("over_budget", ""))
        elif self._wants_discount():
            out.append(("no_discount", ""))
        return out

    def _decide(self) -> Act:
        against = self.reasons_against()
        if against:
            reason, features = against[0]
            return Act(CUSTOMER, "decline", {"product": self.product, "price": self.price, "reason": reason,
                                             "features": features or None}, final=True)
        return Act(CUSTOMER, "accept", {"product": self.product, "price": self.price}, final=True)
