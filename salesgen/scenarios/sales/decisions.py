"""What the customer said about buying: an explicit yes or no in their last turns, by the phrases in a data file.

The simulator asks for the closing line until it says one or the other and constrains the structured decision to
it; the sale_success judge checks the recorded decision against it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from salesgen.core.dialogue import CUSTOMER, Turn
from salesgen.core.files import read_toml

DECISIONS_FILE = Path(__file__).resolve().parents[2] / "data" / "decisions.toml"
YES, NO, UNCLEAR = "yes", "no", "unclear"


@dataclass(frozen=True)
class Said:
    words: str  # YES, NO or UNCLEAR
    turn: int | None = None  # index of the turn that says it
    phrase: str = ""


@dataclass(frozen=True)
class DecisionWords:
    accept: tuple[re.Pattern, ...]
    reject: tuple[re.Pattern, ...]

    def in_text(self, text: str) -> tuple[str, str]:
        """(YES|NO|UNCLEAR, matched words) for one line: the later statement wins, so "Too pricey... fine, I'll take
        it" is a yes."""
        no = [m for rx in self.reject if (m := rx.search(text))]
        yes = [m for rx in self.accept if (m := rx.search(text))]
        if not (no or yes):
            return UNCLEAR, ""
        last = max(no + yes, key=lambda m: m.start())
        return (YES if max((m.start() for m in yes), default=-1) > max((m.start() for m in no), default=-1)
                else NO), last.group(0)

    def decides(self, text: str) -> bool:
        """A line that says yes or no, not both: a closing line with "I'll take it ... I'll pass on it" is a model
        copying both answers it was offered, and the later one is no more its decision than the first."""
        yes = any(rx.search(text) for rx in self.accept)
        return yes != any(rx.search(text) for rx in self.reject)

    def after(self, text: str) -> str:
        """What a line says after its last yes or no (all of it when it says neither)."""
        ends = [m.end() for rx in self.accept + self.reject for m in rx.finditer(text)]
        return text[max(ends):] if ends else text

    def said(self, turns: list[Turn]) -> Said:
        """The customer's decision in their last two turns, the later turn first."""
        idx = [i for i, t in enumerate(turns) if t.role == CUSTOMER][-2:]
        for i in reversed(idx):
            words, phrase = self.in_text(turns[i].text)
            if words != UNCLEAR:
                return Said(words, i, phrase)
        return Said(UNCLEAR)


@cache
def decision_words(path: Path = DECISIONS_FILE) -> DecisionWords:
    raw = read_toml(path, "Decision phrases ")
    return DecisionWords(tuple(re.compile(p, re.I | re.M) for p in raw["accept"]),
                         tuple(re.compile(p, re.I | re.M) for p in raw["reject"]))
