"""Fluency: harper-py grammar and spelling issues per 100 words (catalog words accepted) and readability."""
from __future__ import annotations

import re
import tomllib

from salesgen.core.dialogue import Dialogue, Verdict
from salesgen.core.words import count_words
from salesgen.judge.base import DATA_DIR, Judge, JudgeContext, register, verdict
from salesgen.judge.text import clamp, quote, snippet

_DIGITS = r"\S*\d\S*|\$\S+"  # prices and model numbers are not words to spell-check


def syllables(word: str) -> int:
    """Vowel-group count with the usual silent-e correction; good enough for a readability average."""
    w = word.lower().strip(".,!?;:'\"")
    if not w:
        return 0
    groups = len(re.findall(r"[aeiouy]+", w))
    if w.endswith("e") and not w.endswith(("le", "ee", "ye")) and groups > 1:
        groups -= 1
    return max(1, groups)


def flesch(words: list[str], n_sentences: int) -> float:
    if not words or not n_sentences:
        return 0.0
    syl = sum(syllables(w) for w in words)
    return 206.835 - 1.015 * (len(words) / n_sentences) - 84.6 * (syl / len(words))


@register
class Fluency(Judge):
    name = "fluency"
    needs = ("harper", "punkt")

    def __init__(self, ctx: JudgeContext):
        super().__init__(ctx)
        self.cfg = tomllib.loads((DATA_DIR / "fluency.toml").read_text(encoding="utf-8"))
        self.extra = [re.compile(p, re.I) for p in self.cfg.get("extra_patterns", [])]
        self._configured = False

    def _linter(self):
        res = self.ctx.resources
        linter = res.get("harper")
        if not self._configured:
            cfg = linter.get_lint_config()
            cfg.update({r: False for r in self.cfg.get("disabled_rules", []) if r in cfg})
            linter.set_lint_config(cfg)
            self._configured = True
        return linter

    def judge(self, dialogue: Dialogue) -> Verdict | None:
        turns = [(i, t) for i, t in enumerate(dialogue.turns) if t.text.strip()]
        if not turns:
            return None
        res = self.ctx.resources
        names = {n for n in [dialogue.persona.name, *(dialogue.extra or {}).values()] if isinstance(n, str)}
        name_words = {w.lower() for n in names for w in re.findall(r"[A-Za-z]+", n)}
        split = res.get("punkt")
        evidence, issues, total_words, words_all, n_sent = [], 0, 0, [], 0
        worst = 0.0  # issues per 100 words in the worst turn: one broken turn should show, not be averaged away
        # One harper call for the whole dialogue (turns joined by blank lines) costs a fraction of one per turn;
        # each lint is mapped back to its turn by offset.
        sep = "\n\n"
        starts, pos = [], 0
        for _, t in turns:
            starts.append(pos)
            pos += len(t.text) + len(sep)
        with res.lock("harper"):
            linter = self._linter()
            found_all = linter.lint(sep.join(t.text for _, t in turns), language="plaintext", regex_mask=_DIGITS)
        per_turn: list[list] = [[] for _ in turns]
        for lint in found_all:
            k = max(j for j, st in enumerate(starts) if st <= lint.span.start)
            per_turn[k].append((lint, lint.span.start - starts[k], lint.span.end - starts[k]))
        lints = [(i, t, per_turn[k]) for k, (i, t) in enumerate(turns)]
        for i, t, found in lints:
            before = issues
            for lint, a, b in found:
                word = lint.problem_text
                # Proper nouns (people, stores, models) are the spell-checker's false alarms in this domain.
                if lint.lint_kind == "Spelling" and (word[:1].isupper() or word.lower() in name_words):
                    continue
                issues += 1
                evidence.append(f"{quote(i, t, snippet(t.text, a, b, 40), 110)}: "
                                f"{lint.lint_kind_pretty}: {lint.message}")
            for rx in self.extra:
                for m in rx.finditer(t.text):
                    issues += 1
                    evidence.append(f"{quote(i, t, snippet(t.text, m.start(), m.end(), 40), 110)}: "
                                    f"Agreement: \"{m.group(0)}\"")
            sents = split(t.text)
            n_sent += len(sents)
            words_all += re.findall(r"[A-Za-z]+(?:'[a-z]+)?", t.text)
            total_words += count_words(t.text)
            worst = max(worst, 100.0 * (issues - before) / max(20, count_words(t.text)))
        per100 = 100.0 * issues / max(1, total_words)
        zero = float(self.cfg.get("issues_per_100_for_zero", 6.0))
        grammar = 0.5 * clamp(1.0 - per100 / zero) + 0.5 * clamp(1.0 - worst / zero)
        fre = flesch(words_all, n_sent)
        lo, hi = self.cfg.get("readability_low", 40.0), self.cfg.get("readability_high", 95.0)
        fall = self.cfg.get("readability_falloff", 30.0)
        readable = clamp(1.0 - max(0.0, lo - fre, fre - hi) / fall)
        w = self.cfg.get("readability_weight", 0.2)
        score = (1 - w) * grammar + w * readable
        reason = (f"{issues} grammar/spelling issue(s), {per100:.1f} per 100 words; Flesch reading ease {fre:.0f}")
        return verdict(self.name, score, reason, evidence, issues=issues, issues_per_100_words=round(per100, 2),
                       flesch_reading_ease=round(fre, 1),
                       worst_turn_issues_per_100_words=round(worst, 2), sentences=n_sent, words=total_words)
