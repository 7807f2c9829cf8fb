"""Role leakage: a turn that carries a speaker label or writes the other side's lines, labelled or not (the words
only the other role says, data/judge/roles.toml). Any such turn fails the roles gate."""
from __future__ import annotations

import re
import tomllib
from functools import cache

from salesgen.core.dialogue import CUSTOMER, SALESPERSON, Dialogue, LineFlaw, Turn, Verdict
from salesgen.core.words import sentences
from salesgen.judge.base import DATA_DIR, Judge, gate, register, verdict
from salesgen.judge.text import content_words, quote, snippet

_ROLE_WORDS = (r"(?:sales\s*person|salesman|saleswoman|sales\s*rep(?:resentative)?|seller|dealer|agent|assistant"
               r"|customer|buyer|user|client|shopper)")
_LABEL = re.compile(rf"(?:^|\n|[.!?\"]\s+|\s)[*_#>\[(]*\s*{_ROLE_WORDS}\s*[\])*_]*\s*:", re.I)
# Chat-template debris and stage directions that show a model writing a script rather than one line.
_META = re.compile(r"<\|?(?:im_start|im_end|assistant|user|system|eot_id|end)\|?>|\[(?:customer|salesperson|"
                   r"buyer|seller)\]|\((?:customer|salesperson|buyer|seller)\b[^)]*\)|\bas an ai\b|"
                   r"\bas a language model\b", re.I)
# An answer about the product: yes or no, then the product as its subject ("Yes, it weighs 41 pounds"). Not "Yes,
# with three kids I need a third row" (the customer's own needs) or "No heated seats would be a dealbreaker".
_ANSWER = re.compile(r"\s*(?:yes|yep|yeah|no|nope|correct|that's\s+right)\s*[,.!;]\s*(?:it|they|the|this|that|its)\b",
                     re.I)
_OTHER = {SALESPERSON: (CUSTOMER, "customer"), CUSTOMER: (SALESPERSON, "salesperson")}
# The other side in the third person, as in a script ("The salesperson looks over my options … I decide on a Mazda
# MX-5."): the voice's own test of a line, kept at 0.98 where the line stayed unmet. Not "the customer service team"
# or "the customer's reviews".
_OF_OTHER = {role: re.compile(rf"\bthe {word}\b(?!['\u2019]s\b|\s+(?:service|support|care|reviews?|ratings?))", re.I)
             for role, (_, word) in _OTHER.items()}


def _asked(text: str) -> set[str]:
    """What a question is about: its content words and figures."""
    return content_words(text) | set(re.findall(r"\d+(?:\.\d+)?", text))


@cache
def _other_words() -> dict[str, tuple[list[re.Pattern[str]], list[re.Pattern[str]]]]:
    """Per role, the *other* role's words that must not appear in its turns: (statements, questions too)."""
    raw = tomllib.loads((DATA_DIR / "roles.toml").read_text(encoding="utf-8"))
    def rx(key: str) -> list[re.Pattern[str]]:
        return [re.compile(p, re.I) for p in raw.get(key, [])]

    return {SALESPERSON: (rx("buyer"), []), CUSTOMER: (rx("seller"), rx("seller_asks"))}


@register
class RoleLeakage(Judge):
    name = "role_leakage"

    def judge(self, dialogue: Dialogue) -> Verdict | None:
        if not dialogue.turns:
            return None
        names = self._names(dialogue)
        evidence = [e for i, t in enumerate(dialogue.turns) if (e := self._leak(i, t, names))]
        per_turn = self.param("penalty_per_turn", 0.5)
        score = 1.0 - per_turn * len(evidence)
        reason = ("no role labels or script markers in any turn" if not evidence
                  else f"{len(evidence)} turn(s) carry a role label or speak for the other side")
        return verdict(self.name, score, reason, evidence, [gate("roles", evidence)])

    def line_flaws(self, dialogue: Dialogue) -> list[LineFlaw]:
        if not dialogue.turns:
            return []
        found = self._leak(len(dialogue.turns) - 1, dialogue.turns[-1], self._names(dialogue))
        return [LineFlaw(self.name, found)] if found else []

    @staticmethod
    def _leak(i: int, t: Turn, names: dict[str, tuple[str, ...]]) -> str | None:
        """Evidence that turn i speaks for the other side: a label, a script marker or the other role's words."""
        hits = [m for m in (_LABEL.search(t.text), _META.search(t.text)) if m]
        for name in names.get(_OTHER[t.role][0], ()):
            hit = re.search(rf"(?:^|\n|\s){re.escape(name)}\s*:", t.text)
            if hit:
                hits.append(hit)
        if hits:
            m = min(hits, key=lambda h: h.start())
            return (f"{quote(i, t, snippet(t.text, m.start(), m.end(), 50))} contains the label or script marker "
                    f"\"{m.group(0).strip()}\"")
        said = sentences(t.text)
        other = _OTHER[t.role][1]
        statements, asks = _other_words().get(t.role, ([], []))
        for s in said:
            if _OF_OTHER[t.role].search(s):
                return f"{quote(i, t, s)}: speaks of the {other} instead of to them"
            if any(rx.search(s) for rx in (asks if s.rstrip().endswith("?") else statements + asks)):
                return f"{quote(i, t, s)}: the {other}'s words inside a {t.role} turn"
        if t.role == CUSTOMER:
            # "Is the chair around 41 pounds? Yes, it weighs 41 pounds": the customer writes the seller's answer.
            # A seller may answer its own rhetorical question; a shopper asking about the product cannot.
            for k, q in enumerate(said):
                for s in said[k + 1:] if q.rstrip().endswith("?") else ():
                    if _ANSWER.match(s) and _asked(q) & _asked(s):
                        return f"{quote(i, t, s)}: answers the customer's own question, the salesperson's reply"
        return None

    @staticmethod
    def _names(d: Dialogue) -> dict[str, tuple[str, ...]]:
        seller = (d.extra.get("seller_name") or d.extra.get("seller")) if isinstance(d.extra, dict) else None
        def forms(name: str | None) -> tuple[str, ...]:
            # "Maya Chen" may write "Maya:" as well as "Maya Chen:".
            return tuple({name, name.split()[0]}) if name and name.split() else ()

        return {CUSTOMER: forms(d.persona.name), SALESPERSON: forms(seller if isinstance(seller, str) else None)}
