"""Repetition within a turn and across turns (the agents' loops CAMEL users report), by n-gram overlap."""
from __future__ import annotations

from collections import Counter

from core.dialogue import Dialogue, Verdict
from judge.base import Judge, register, verdict
from judge.text import ngrams, quote, tokens


@register
class Repetition(Judge):
    name = "repetition"

    def judge(self, dialogue: Dialogue) -> Verdict | None:
        if not dialogue.turns:
            return None
        n_cross = self.param("cross_n", 4)
        n_within = self.param("within_n", 3)
        # Sales talk shares some phrases across turns naturally (the product name, "your budget"):
        # overlap below `tolerance` costs nothing.
        tol = self.param("tolerance", 0.15)
        seen: set[tuple[str, ...]] = set()
        worst, penalties, evidence = 0.0, [], []
        cross_max, within_max = 0.0, 0.0
        for i, t in enumerate(dialogue.turns):
            toks = tokens(t.text)
            cross = ngrams(toks, n_cross)
            within = ngrams(toks, n_within)
            overlap = sum(g in seen for g in cross) / len(cross) if cross else 0.0
            counts = Counter(within)
            dup = sum(c - 1 for c in counts.values()) / len(within) if within else 0.0
            cross_max, within_max = max(cross_max, overlap), max(within_max, dup)
            pen = max(min(1.0, max(0.0, overlap - tol) / (0.75 - tol)), min(1.0, max(0.0, dup - 0.05) / 0.35))
            penalties.append(pen)
            if overlap > tol + 0.1:
                evidence.append(f"{quote(i, t, limit=90)} repeats {overlap:.0%} of its {n_cross}-word sequences "
                                f"from earlier turns")
            if dup > 0.1:
                phrase = " ".join(counts.most_common(1)[0][0])
                evidence.append(f"{quote(i, t, limit=90)} repeats itself ({dup:.0%} of its {n_within}-grams are "
                                f"repeats, e.g. \"{phrase}\")")
            worst = max(worst, pen)
            seen.update(cross)
        # The worst turn dominates: one copied turn is a visible flaw even in an otherwise varied dialogue.
        score = 1.0 - (0.7 * worst + 0.3 * sum(penalties) / len(penalties))
        reason = ("no turn repeats earlier text or itself" if not evidence
                  else f"repetition found in {len(evidence)} place(s); worst turn penalty {worst:.2f}")
        return verdict(self.name, score, reason, evidence, max_cross_overlap=round(cross_max, 3),
                       max_within_repeat=round(within_max, 3))
