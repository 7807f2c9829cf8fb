"""Accuracy against the catalog: every salesperson claim the rules can read, checked; a wrong price vetoes."""
from __future__ import annotations

from core.dialogue import Dialogue, LineFlaw, Verdict
from judge.base import Judge, JudgeContext, register, verdict
from judge.claims import CONTRADICTED, IMMATERIAL, SUPPORTED, UNSUPPORTED, ClaimExtractor
from judge.text import quote

_PRICE_KINDS = {"price", "discount"}


@register
class Accuracy(Judge):
    name = "accuracy"

    def __init__(self, ctx: JudgeContext):
        super().__init__(ctx)
        self.extractor = ClaimExtractor(ctx.catalog)

    def judge(self, dialogue: Dialogue) -> Verdict | None:
        if not dialogue.turns:
            return None
        claims = self.extractor.extract(dialogue)
        counts = {s: sum(c.status == s for c in claims) for s in (SUPPORTED, CONTRADICTED, UNSUPPORTED, IMMATERIAL)}
        evidence = []
        for c in claims:
            if c.status in (CONTRADICTED, UNSUPPORTED):
                evidence.append(f"{quote(c.turn, dialogue.turns[c.turn], c.sentence, 140)}: {c.kind} "
                                f"\"{c.text}\" {c.status}: {c.note}")
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
        return verdict(self.name, score, reason, evidence, veto=bool(wrong_price),
                       counts=counts, claims=[c.to_dict() for c in claims])

    def line_flaws(self, dialogue: Dialogue) -> list[LineFlaw]:
        # Any contradiction in the new line: two cost the floor and a wrong price vetoes. The sentence is named so
        # the simulator can leave it out rather than regenerate a whole line for one invented feature.
        last = len(dialogue.turns) - 1
        return [LineFlaw(self.name, f"{c.kind} \"{c.text}\" {c.status}: {c.note}", c.sentence)
                for c in self.extractor.extract(dialogue, only_turn=last) if c.status == CONTRADICTED]
