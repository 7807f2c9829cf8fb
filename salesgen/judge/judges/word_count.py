"""Word-count compliance: every turn within --min-words..--max-words."""
from __future__ import annotations

from salesgen.core.dialogue import Dialogue, Verdict
from salesgen.core.words import count_words
from salesgen.judge.base import Judge, gate, register, verdict
from salesgen.judge.text import mean, quote


@register
class WordCount(Judge):
    name = "word_count"

    def judge(self, dialogue: Dialogue) -> Verdict | None:
        lo, hi = self.ctx.options.min_words, self.ctx.options.max_words
        if (lo is None and hi is None) or not dialogue.turns:
            return None
        # A turn 20% outside the band scores 0; nearer misses get partial credit so one word over is not fatal.
        slack = self.param("slack", 0.2)
        scores, evidence, counts = [], [], []
        for i, t in enumerate(dialogue.turns):
            n = count_words(t.text)
            counts.append(n)
            if lo is not None and n < lo:
                miss, bound = (lo - n) / lo, f"under the minimum of {lo}"
            elif hi is not None and n > hi:
                miss, bound = (n - hi) / hi, f"over the maximum of {hi}"
            else:
                scores.append(1.0)
                continue
            scores.append(max(0.0, 1.0 - miss / slack))
            evidence.append(f"{quote(i, t, limit=80)} has {n} words, {bound}")
        bad = len(evidence)
        reason = (f"all {len(counts)} turns within {lo}-{hi} words" if not bad
                  else f"{bad} of {len(counts)} turns outside {lo}-{hi} words")
        return verdict(self.name, mean(scores), reason, evidence, [gate("band", evidence)], words_per_turn=counts)
