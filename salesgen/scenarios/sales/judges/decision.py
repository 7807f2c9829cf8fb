"""The customer's structured decision: present, a catalog product, a price within budget and above the floor."""
from __future__ import annotations

from salesgen.core.dialogue import Dialogue, Product, Verdict
from salesgen.core.mentions import product_index
from salesgen.judge.base import Judge, gate, register, verdict
from salesgen.scenarios.sales.prices import above_floor, list_ceiling, money, within_budget


def resolve_bought(dialogue: Dialogue, catalog) -> Product | None:
    """The product the outcome names: by id, then by name, then the product in play if nothing is named."""
    o = dialogue.outcome
    if o is None:
        return None
    p = catalog.get(o.product_id) if o.product_id else None
    if p is None and o.product_name:
        p = catalog.find_by_name(o.product_name)
    if p is None and not o.product_id and not o.product_name:
        p = dialogue.product
    return p


@register
class Decision(Judge):
    name = "decision"

    def judge(self, dialogue: Dialogue) -> Verdict | None:
        o = dialogue.outcome
        if o is None:
            return verdict(self.name, 0.0, "no decision was recorded", ["outcome: missing"],
                           [gate("outcome", ["outcome: missing"])])
        if o.error or o.bought is None:
            raw = f' (raw: "{o.raw[:120]}")' if o.raw else ""
            ev = [f"outcome.error: {o.error}{raw}"]
            return verdict(self.name, 0.0, f"the decision could not be obtained: {o.error or 'bought is null'}",
                           ev, [gate("outcome", ev)])
        if not o.bought:
            return verdict(self.name, 1.0, "the customer declined; the decision is recorded", ["outcome: not bought"],
                           [gate("decision", []), gate("floor", [])])
        checks: list[tuple[bool, str, str]] = []  # (passed, what, the gate it decides)
        notes: list[str] = []
        p = resolve_bought(dialogue, self.ctx.catalog)
        named = o.product_id or o.product_name
        in_catalog = p is not None and self.ctx.catalog.get(p.id) is not None
        if named or (p is not None and p.id):
            checks.append((in_catalog, f"product {named or p.name!r} " +
                           ("is in the catalog" if in_catalog else "is not in the catalog"), "decision"))
        if in_catalog and dialogue.product is not None and dialogue.product.id and p.id != dialogue.product.id:
            # Buying an alternative the salesperson offered is fine; one never mentioned is not. Named as people say
            # it ("Microsoft 365 Family" for "Microsoft 365 Family (1-year subscription)"), as the simulator reads it.
            text = " ".join(t.text for t in dialogue.turns)
            said = p in product_index(self.ctx.catalog).named(text)
            checks.append((said, f"bought {p.name}, not the product in play ({dialogue.product.name}), "
                           f"{'but' if said else 'and'} it is {'named' if said else 'never named'} in the dialogue",
                           "decision"))
        if o.price is None:
            # Only imported data gets here (the simulator's decision always has a price): sales_conversations.csv
            # says "sold" but carries no price, which is not an inconsistency of the dialogue.
            notes = ["price: not recorded (a format without prices)"]
        elif o.price <= 0:
            checks.append((False, f"bought with no valid price ({o.price})", "decision"))
        else:
            budget, persona = dialogue.persona.budget, dialogue.persona
            if budget and budget > 0:
                ok = within_budget(o.price, persona)
                note = " (the persona may stretch)" if persona.over_budget_ok and o.price > budget else ""
                checks.append((ok, f"price {money(o.price)} {'<=' if o.price <= budget else '>'} budget "
                               f"{money(budget)}{note}", "decision"))
            ref = p or dialogue.product
            if ref is not None:
                floor = ref.min_price if ref.min_price is not None else None
                if floor is not None:
                    ok = above_floor(o.price, ref)
                    checks.append((ok, f"price {money(o.price)} {'>=' if ok else 'below'} the discount floor "
                                   f"{money(floor)} of {ref.name or 'the product'}", "floor"))
                if ref.price:
                    ok = o.price <= list_ceiling(ref.price)
                    checks.append((ok, f"price {money(o.price)} {'<=' if ok else 'above'} list price "
                                   f"{money(ref.price)}", "decision"))
        failed = [msg for ok, msg, _ in checks if not ok]
        score = sum(ok for ok, _, _ in checks) / len(checks) if checks else 1.0
        reason = "; ".join(failed) if failed else "bought a catalog product at a valid price within budget"
        gates = [gate(name, [f"outcome: {msg}" for ok, msg, g in checks if g == name and not ok])
                 for name in ("decision", "floor")]
        return verdict(self.name, score, reason, [msg for _, msg, _ in checks] + notes, gates,
                       checks_passed=sum(ok for ok, _, _ in checks), checks=len(checks))
