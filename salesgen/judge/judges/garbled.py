"""Empty or garbled text: blank turns, template debris and unfilled slots, runs of symbols, non-words."""
from __future__ import annotations

import re

from salesgen.core.dialogue import Dialogue, LineFlaw, Verdict
from salesgen.core.words import PLACEHOLDER
from salesgen.judge.base import Judge, gate, register, verdict
from salesgen.judge.text import quote, snippet

_DEBRIS = re.compile(r"<\|[^|>]*\|>|</?s>|\[/?INST\]|```|\{\s*\"|\\u[0-9a-f]{4}|\ufffd", re.I)
_RUN = re.compile(r"([^\w\s])\1{4,}|(\w)\2{5,}")
_WORDISH = re.compile(r"[A-Za-z]+")
_PLAIN = set(".,;:!?'’\"“”$-()/")
# A letter outside the Latin script (Latin-1 and Latin Extended end at U+024F): Qwen drifts into Chinese mid-sentence,
# "the volumetric剂量控制", which the share-of-words rule below lets through when it is one word in sixty.
_OTHER_SCRIPT = re.compile(r"[^\W\d_\u0000-\u024F]+")


def problems(text: str) -> list[tuple[str, int, int]]:
    """(what, start, end) for each kind of garbling found in one turn."""
    out = []
    stripped = text.strip()
    if not stripped:
        return [("empty turn", 0, 0)]
    m = _DEBRIS.search(text)
    if m:
        out.append(("template or markup debris", m.start(), m.end()))
    m = PLACEHOLDER.search(text)
    if m:
        out.append(("an unfilled template slot", m.start(), m.end()))
    m = _RUN.search(text)
    if m:
        out.append(("a run of repeated characters", m.start(), m.end()))
    # Letters against symbols; spaces, digits and the punctuation of prices and specs ("$35,900", "2.4-L") are neutral.
    letters = sum(c.isalpha() for c in stripped)
    symbols = sum(not (c.isalnum() or c.isspace() or c in _PLAIN) for c in stripped)
    if letters / max(1, letters + symbols) < 0.6:
        out.append((f"only {letters / max(1, letters + symbols):.0%} letters", 0, min(len(text), 40)))
    words = _WORDISH.findall(text)
    # A 'word' of 7+ letters with no vowel, or 20+ letters, is almost never English.
    odd = [w for w in words if (len(w) >= 7 and not re.search(r"[aeiouyAEIOUY]", w)) or len(w) >= 20]
    if words and len(odd) / len(words) > 0.05:
        pos = text.find(odd[0])
        out.append((f"{len(odd)} non-words such as \"{odd[0]}\"", pos, pos + len(odd[0])))
    m = _OTHER_SCRIPT.search(text)
    if m:
        out.append((f"a switch to another script (\"{m.group(0)[:12]}\")", m.start(), m.end()))
    if words and sum(not w.isascii() for w in text.split()) / len(text.split()) > 0.2:
        out.append(("mostly non-English characters", 0, min(len(text), 40)))
    return out


@register
class Garbled(Judge):
    name = "garbled"

    def line_flaws(self, dialogue: Dialogue) -> list[LineFlaw]:
        # Resampled while generating: one such line otherwise costs the whole dialogue its floor.
        return [LineFlaw(self.name, what) for what, _, _ in problems(dialogue.turns[-1].text)] if dialogue.turns else []

    def judge(self, dialogue: Dialogue) -> Verdict | None:
        if not dialogue.turns:
            return verdict(self.name, 0.0, "the dialogue has no turns", ["no turns"], [gate("form", ["no turns"])])
        evidence, bad, empty = [], 0, []
        for i, t in enumerate(dialogue.turns):
            found = problems(t.text)
            if found:
                bad += 1
                if found[0][0] == "empty turn":
                    empty.append(f"{quote(i, t, limit=40)}: empty turn")
            for what, a, b in found:
                frag = snippet(t.text, a, b, 40) if b > a else t.text
                evidence.append(f"{quote(i, t, frag, 100)}: {what}")
        score = 1.0 - min(1.0, 0.5 * bad)
        reason = "every turn is readable text" if not bad else f"{bad} turn(s) empty or garbled"
        # An empty turn means the generator failed outright: nothing to keep.
        return verdict(self.name, score, reason, evidence, [gate("form", empty)], garbled_turns=bad)
