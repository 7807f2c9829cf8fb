"""Role leakage: a turn that carries a speaker label or writes the other side's lines."""
from __future__ import annotations

import re

from core.dialogue import CUSTOMER, SALESPERSON, Dialogue, Verdict
from judge.base import Judge, register, verdict
from judge.text import quote, snippet

_ROLE_WORDS = (r"(?:sales\s*person|salesman|saleswoman|sales\s*rep(?:resentative)?|seller|dealer|agent|assistant"
               r"|customer|buyer|user|client|shopper)")
_LABEL = re.compile(rf"(?:^|\n|[.!?\"]\s+|\s)[*_#>\[(]*\s*{_ROLE_WORDS}\s*[\])*_]*\s*:", re.I)
# Chat-template debris and stage directions that show a model writing a script rather than one line.
_META = re.compile(r"<\|?(?:im_start|im_end|assistant|user|system|eot_id|end)\|?>|\[(?:customer|salesperson|"
                   r"buyer|seller)\]|\((?:customer|salesperson|buyer|seller)\b[^)]*\)|\bas an ai\b|"
                   r"\bas a language model\b", re.I)
_OTHER = {SALESPERSON: (CUSTOMER, "customer"), CUSTOMER: (SALESPERSON, "salesperson")}


@register
class RoleLeakage(Judge):
    name = "role_leakage"

    def judge(self, dialogue: Dialogue) -> Verdict | None:
        if not dialogue.turns:
            return None
        names = self._names(dialogue)
        evidence = []
        for i, t in enumerate(dialogue.turns):
            hits = [m for m in (_LABEL.search(t.text), _META.search(t.text)) if m]
            for name in names.get(_OTHER[t.role][0], ()):
                hit = re.search(rf"(?:^|\n|\s){re.escape(name)}\s*:", t.text)
                if hit:
                    hits.append(hit)
            if hits:
                m = min(hits, key=lambda h: h.start())
                evidence.append(f"{quote(i, t, snippet(t.text, m.start(), m.end(), 50))} contains the label or "
                                f"script marker \"{m.group(0).strip()}\"")
        per_turn = self.param("penalty_per_turn", 0.5)
        score = 1.0 - per_turn * len(evidence)
        reason = ("no role labels or script markers in any turn" if not evidence
                  else f"{len(evidence)} turn(s) carry a role label or speak for the other side")
        return verdict(self.name, score, reason, evidence)

    @staticmethod
    def _names(d: Dialogue) -> dict[str, tuple[str, ...]]:
        seller = d.extra.get("seller_name") if isinstance(d.extra, dict) else None
        def forms(name: str | None) -> tuple[str, ...]:
            # "Maya Chen" may write "Maya:" as well as "Maya Chen:".
            return tuple({name, name.split()[0]}) if name and name.split() else ()

        return {CUSTOMER: forms(d.persona.name), SALESPERSON: forms(seller if isinstance(seller, str) else None)}
