"""Repetition within a turn and across turns (the agents' loops CAMEL users report), by n-gram overlap."""
from __future__ import annotations

from collections import Counter

from core.dialogue import Dialogue, LineFlaw, Verdict
from judge.base import Judge, register, verdict
from judge.text import ngrams, quote, tokens


@register
class Repetition(Judge):
    name = "repetition"

    def _turn(self, text: str, seen: set[tuple[str, ...]]) -> tuple[float, float, float, Counter, list]:
        """(penalty 0-1, share of 4-grams said before, share of 3-grams repeated inside, 3-gram counts, 4-grams)."""
        toks = tokens(text)
        cross = ngrams(toks, self.param("cross_n", 4))
        within = ngrams(toks, self.param("within_n", 3))
        # Sales talk shares some phrases across turns naturally (the product name, "your budget"):
        # overlap below `tolerance` costs nothing.
        tol = self.param("tolerance", 0.15)
        overlap = sum(g in seen for g in cross) / len(cross) if cross else 0.0
        counts = Counter(within)
        dup = sum(c - 1 for c in counts.values()) / len(within) if within else 0.0
        pen = max(min(1.0, max(0.0, overlap - tol) / (0.75 - tol)), min(1.0, max(0.0, dup - 0.05) / 0.35))
        return pen, overlap, dup, counts, cross

    def judge(self, dialogue: Dialogue) -> Verdict | None:
        if not dialogue.turns:
            return None
        tol = self.param("tolerance", 0.15)
        seen: set[tuple[str, ...]] = set()
        worst, penalties, evidence = 0.0, [], []
        cross_max, within_max = 0.0, 0.0
        for i, t in enumerate(dialogue.turns):
            pen, overlap, dup, counts, cross = self._turn(t.text, seen)
            cross_max, within_max = max(cross_max, overlap), max(within_max, dup)
            penalties.append(pen)
            if overlap > tol + 0.1:
                evidence.append(f"{quote(i, t, limit=90)} repeats {overlap:.0%} of its {self.param('cross_n', 4)}"
                                f"-word sequences from earlier turns")
            if dup > 0.1:
                phrase = " ".join(counts.most_common(1)[0][0])
                evidence.append(f"{quote(i, t, limit=90)} repeats itself ({dup:.0%} of its "
                                f"{self.param('within_n', 3)}-grams are repeats, e.g. \"{phrase}\")")
            worst = max(worst, pen)
            seen.update(cross)
        # The worst turn dominates: one copied turn is a visible flaw even in an otherwise varied dialogue.
        score = 1.0 - (0.7 * worst + 0.3 * sum(penalties) / len(penalties))
        reason = ("no turn repeats earlier text or itself" if not evidence
                  else f"repetition found in {len(evidence)} place(s); worst turn penalty {worst:.2f}")
        return verdict(self.name, score, reason, evidence, max_cross_overlap=round(cross_max, 3),
                       max_within_repeat=round(within_max, 3))

    def line_flaws(self, dialogue: Dialogue) -> list[LineFlaw]:
        # With every turn's penalty at most `line_limit` the score is at least 1 - line_limit: 0.5 keeps the
        # dialogue at its floor however the talk goes on.
        if not dialogue.turns:
            return []
        seen = {g for t in dialogue.turns[:-1] for g in ngrams(tokens(t.text), self.param("cross_n", 4))}
        pen, overlap, dup, _, _ = self._turn(dialogue.turns[-1].text, seen)
        if pen <= self.param("line_limit", 0.5):
            return []
        what = (f"repeats {overlap:.0%} of its word sequences from earlier turns" if overlap >= dup
                else f"repeats itself ({dup:.0%} of its 3-grams)")
        return [LineFlaw(self.name, what)]
