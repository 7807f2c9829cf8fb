"""Sale success: the structured decision checked against the words; sold / not sold / inconsistent."""
from __future__ import annotations

from dataclasses import astuple

from salesgen.core.dialogue import CUSTOMER, Dialogue, Verdict
from salesgen.core.mentions import product_index
from salesgen.core.words import sentences
from salesgen.judge.base import Judge, gate, register, verdict
from salesgen.judge.text import quote
from salesgen.scenarios.sales.decisions import YES, decision_words
from salesgen.scenarios.sales.judges.decision import resolve_bought
from salesgen.scenarios.sales.prices import closing_prices, find_money, list_ceiling, money, same_amount, within_budget

SOLD, NOT_SOLD, INCONSISTENT, UNKNOWN = "sold", "not sold", "inconsistent", "unknown"


def car_dealer_reward(bought: bool, buy_price: float | None, budget: float, msrp: float) -> float | None:
    """LMRL-Gym Car Dealer reward: buy_price/((budget+msrp)/2) when bought, else -(budget-msrp)/msrp."""
    if not msrp or budget is None:
        return None
    if bought:
        return None if buy_price is None else round(buy_price / ((budget + msrp) / 2), 4)
    return round(-(budget - msrp) / msrp, 4)


@register
class SaleSuccess(Judge):
    name = "sale_success"

    def judge(self, dialogue: Dialogue) -> Verdict | None:
        if not dialogue.turns:
            return None
        o = dialogue.outcome
        words, at, phrase = astuple(decision_words().said(dialogue.turns))
        last = max((i for i, t in enumerate(dialogue.turns) if t.role == CUSTOMER), default=None)
        ev = []
        if at is not None and at != last:
            # A yes or no before a last turn that says neither ("No, not the monthly plan ... " then "Perfect,
            # thirty days is plenty"): the rules cannot tell, so the sale is left uncertain, never vetoed.
            ev.append(f"{quote(at, dialogue.turns[at])}: an earlier {words} (\"{phrase}\"), but the last turn says "
                      f"neither; left uncertain")
            words, at = "unclear", None
        if at is not None:
            ev.append(f"{quote(at, dialogue.turns[at])}: the customer says {words} (\"{phrase}\")")
        else:
            ev.append("the customer's last turns say neither yes nor no")
        details: dict = {"said": words}
        reward = self._reward(dialogue)
        if reward is not None:
            details["car_dealer_reward"] = reward
        if o is None or o.bought is None:
            status = {"yes": SOLD, "no": NOT_SOLD}.get(words, UNKNOWN)
            score = {SOLD: 0.8, NOT_SOLD: 0.6}.get(status, 0.3)
            return verdict(self.name, score, f"no structured decision; from the words: {status}",
                           ev, [gate("outcome", [])], status=status, **details)
        if not o.bought:
            if words == "yes":
                return verdict(self.name, 0.0, "inconsistent: the decision says not bought, the customer said yes",
                               ev, [gate("outcome", ev[:1])], status=INCONSISTENT, **details)
            score = self.param("not_sold_score", 0.7) if words == "no" else 0.5
            reason = "not sold, as the customer said" if words == "no" else "not sold; no explicit no in the words"
            return verdict(self.name, score, reason, ev, [gate("outcome", [])], status=NOT_SOLD, **details)
        if words == "no":
            return verdict(self.name, 0.0, "inconsistent: the decision says bought, the customer said no",
                           ev, [gate("outcome", ev[:1])], status=INCONSISTENT, **details)
        problems, inconsistent = [], []
        if words == "unclear":
            problems.append("no explicit yes from the customer")
        p = resolve_bought(dialogue, self.ctx.catalog)
        if p is not None and p.id and (dialogue.product is None or p.id != dialogue.product.id):
            text = " ".join(t.text for t in dialogue.turns)
            named = p in product_index(self.ctx.catalog).named(text)
            if not named:
                inconsistent.append(f"the decision names {p.name}, which the dialogue never discusses")
        elif p is None and (o.product_id or o.product_name):
            inconsistent.append(f"the decision names {o.product_name or o.product_id}, which is not in the catalog")
        if p is not None and at is not None:
            # "I'll take the Mazda3 at $9,800. … I'll take the Hyundai Elantra GLS.": yes to two products is no
            # decision a record can hold.
            dw, index = decision_words(), product_index(self.ctx.catalog)
            others = sorted({m.products[0].name for s in sentences(dialogue.turns[at].text) if dw.in_text(s)[0] == YES
                             for m in index.find(s) if all(q.id != p.id for q in m.products)})
            if others:
                inconsistent.append(f"{quote(at, dialogue.turns[at], limit=100)}: the customer says yes to "
                                    f"{p.name} and to {', '.join(others)}")
        listed = p.price if p is not None and p.price else None
        # Amounts over the list price in the yes are a budget or a total ("it fits my $45,000 budget"), not a price.
        said_prices = [m.value for m in find_money(dialogue.turns[at].text)
                       if listed is None or m.value <= list_ceiling(listed)] if at is not None else []
        if o.price is None:
            problems.append("no price in the decision")
        elif said_prices and not any(same_amount(o.price, v) for v in said_prices):
            # The customer's own yes names its price: the record must carry that one.
            inconsistent.append(f"the decision's price {money(o.price)} is not the one the customer accepts in "
                                f"turn {at + 1} ({', '.join(money(v) for v in said_prices)})")
        else:
            # The simulator never offers an amount over the list price as the price (it is a budget or a total).
            agreed = closing_prices(dialogue.turns, listed, list_ceiling(listed) if listed else None)
            if agreed and not any(same_amount(o.price, a) for a in agreed):
                inconsistent.append(f"the decision's price {money(o.price)} is not the one in the last exchanges "
                                    f"({', '.join(money(a) for a in agreed)})")
            elif not agreed:
                problems.append("no price is stated near the close")
            else:
                ev.append(f"price {money(o.price)} is the one stated near the close")
            b = dialogue.persona.budget
            if not within_budget(o.price, dialogue.persona):
                problems.append(f"price {money(o.price)} is over the budget {money(b)}")
        ev += inconsistent + problems
        if inconsistent:
            return verdict(self.name, 0.0, "inconsistent: " + "; ".join(inconsistent), ev,
                           [gate("outcome", inconsistent)], status=INCONSISTENT, **details)
        score = 1.0 - 0.25 * len(problems)
        reason = "sold: " + ("; ".join(problems) if problems else "the customer agreed to the product and price")
        return verdict(self.name, score, reason, ev, [gate("outcome", [])], status=SOLD, **details)

    def _reward(self, dialogue: Dialogue) -> float | None:
        p, o = dialogue.product, dialogue.outcome
        is_car = (p is not None and p.category == "car") or dialogue.persona.category == "car"
        if not is_car or p is None or not dialogue.persona.budget or o is None or o.bought is None:
            return None
        # Imported Car Dealer data carries its own MSRP; our catalog's list price is only a fallback.
        msrp = float((dialogue.extra or {}).get("msrp") or p.price)
        return car_dealer_reward(bool(o.bought), o.price, dialogue.persona.budget, msrp)
