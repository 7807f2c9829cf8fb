"""Accuracy against the catalog: every salesperson claim the rules can read, checked. A contradiction fails the
catalog gate (or the floor gate when it states or undercuts the private floor); unsupported claims lower the score."""
from __future__ import annotations

from salesgen.core.dialogue import Dialogue, LineFlaw, Verdict
from salesgen.judge.base import Judge, JudgeContext, gate, register, verdict
from salesgen.judge.text import quote
from salesgen.scenarios.sales.claims import CONTRADICTED, IMMATERIAL, SUPPORTED, UNSUPPORTED, claim_extractor

_PRICE_KINDS = {"price", "discount"}


@register
class Accuracy(Judge):
    name = "accuracy"

    def __init__(self, ctx: JudgeContext):
        super().__init__(ctx)
        self.extractor = claim_extractor(ctx.catalog)  # one per catalog, shared with the other judges

    def judge(self, dialogue: Dialogue) -> Verdict | None:
        if not dialogue.turns:
            return None
        claims = self.extractor.extract(dialogue)
        counts = {s: sum(c.status == s for c in claims) for s in (SUPPORTED, CONTRADICTED, UNSUPPORTED, IMMATERIAL)}
        evidence, failed = [], {"catalog": [], "floor": []}
        for c in claims:
            if c.status in (CONTRADICTED, UNSUPPORTED):
                line = (f"{quote(c.turn, dialogue.turns[c.turn], c.sentence, 140)}: {c.kind} "
                        f"\"{c.text}\" {c.status}: {c.note}")
                evidence.append(line)
                if c.status == CONTRADICTED:
                    failed[c.gate].append(line)
        wrong_price = [c for c in claims if c.status == CONTRADICTED and c.kind in _PRICE_KINDS]
        score = 1.0 - self.param("contradicted_penalty", 0.3) * counts[CONTRADICTED] \
            - self.param("unsupported_penalty", 0.05) * counts[UNSUPPORTED]
        if not claims:
            reason = "no checkable claims"
        elif counts[CONTRADICTED]:
            kinds = sorted({c.kind for c in claims if c.status == CONTRADICTED})
            reason = f"{counts[CONTRADICTED]} claim(s) contradict the catalog ({', '.join(kinds)})"
        else:
            reason = f"{counts[SUPPORTED]} claim(s) match the catalog, {counts[UNSUPPORTED]} unsupported"
        if wrong_price:
            reason = "contradicted price: " + wrong_price[0].note + "; " + reason
        if dialogue.product is None:
            reason += " (no product record: checked against the products the dialogue names)"
        return verdict(self.name, score, reason, evidence, [gate(name, ev) for name, ev in failed.items()],
                       counts=counts, claims=[c.to_dict() for c in claims])

    def line_flaws(self, dialogue: Dialogue) -> list[LineFlaw]:
        # Any contradiction in the new line fails a gate. The sentence is named so
        # the simulator can leave it out rather than regenerate a whole line for one invented feature.
        last = len(dialogue.turns) - 1
        return [LineFlaw(self.name, f"{c.kind} \"{c.text}\" {c.status}: {c.note}", c.sentence)
                for c in self.extractor.extract(dialogue, only_turn=last) if c.status == CONTRADICTED]
