"""Repetition within a turn and across turns (the agents' loops CAMEL users report), by n-gram overlap.

A catalog product's name counts as one word: "LG 4.5 cu ft Front-Load Washer WM4000HWA" is said again by design
(the customer's closing line names what it buys), and as eight words it made a ten-word "I'll take the ..." line a
near-total copy.
"""
from __future__ import annotations

from collections import Counter

from salesgen.core.dialogue import Dialogue, LineFlaw, Verdict
from salesgen.core.mentions import product_index
from salesgen.core.words import sentences
from salesgen.judge.base import Judge, register, verdict
from salesgen.judge.text import is_content, ngrams, quote, tokens

_PERSON = {w: "<person>" for w in ("i", "me", "my", "mine", "myself", "you", "your", "yours", "yourself", "we", "us",
                                   "our", "ours", "i'm", "you're", "i've", "you've", "i'll", "you'll", "i'd", "you'd")}


@register
class Repetition(Judge):
    name = "repetition"

    def _tokens(self, text: str) -> list[str]:
        out, pos = [], 0
        for m in product_index(self.ctx.catalog).find(text):
            out += tokens(text[pos:m.start]) + ["<" + "|".join(p.id for p in m.products) + ">"]
            pos = m.end
        # One token for every person word: "the car that is right for you, no matter what your budget is" said
        # back as "... right for me, no matter what my budget is" is the other side's line parroted.
        return [_PERSON.get(t, t) for t in out + tokens(text[pos:])]

    def _content(self, sent: str) -> set[str]:
        """The sentence's content words, a product's name one of them: as six words, "ASUS ROG Zephyrus G16 RTX
        4070" made a discount and a comparison of it the same point."""
        return {t for t in self._tokens(sent) if t != "<person>" and (t.startswith("<") or is_content(t))}

    def _turn(self, text: str, seen: set[tuple[str, ...]]) -> tuple[float, float, float, Counter, list]:
        """(penalty 0-1, share of 4-grams said before, share of 3-grams repeated inside, 3-gram counts, 4-grams)."""
        toks = self._tokens(text)
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
        loops = self._loops(dialogue) + self._parrots(dialogue)
        if loops:
            # The same point made a third time (a question asked again after its answer, a pitch recited): a loop
            # a reader notices at once, whatever the n-gram overlap says.
            score = min(score, self.param("loop_score", 0.3))
            evidence += [msg for _, _, msg in loops]
        reason = ("no turn repeats earlier text or itself" if not evidence
                  else f"repetition found in {len(evidence)} place(s); worst turn penalty {worst:.2f}")
        return verdict(self.name, score, reason, evidence, max_cross_overlap=round(cross_max, 3),
                       max_within_repeat=round(within_max, 3))

    def _parrots(self, dialogue: Dialogue, start: int = 1) -> list[tuple[int, str, str]]:
        """Turns from `start` made mostly of the other side's last turn, person words aside: the buyer reciting
        the pitch."""
        n, share = self.param("cross_n", 4), self.param("parrot_share", 0.4)
        out = []
        for i in range(max(1, start), len(dialogue.turns)):
            t, prev = dialogue.turns[i], dialogue.turns[i - 1]
            grams = ngrams(self._tokens(t.text), n)
            theirs = set(ngrams(self._tokens(prev.text), n))
            copied = sum(g in theirs for g in grams) / len(grams) if grams else 0.0
            if t.role != prev.role and copied >= share:
                out.append((i, "", f"{quote(i, t, limit=90)} repeats {copied:.0%} of the {prev.role}'s turn before "
                                   f"it (person words aside)"))
        return out

    def _loops(self, dialogue: Dialogue) -> list[tuple[int, str, str]]:
        """(turn, sentence, evidence) for each point one side makes a third time (content words mostly shared)."""
        said: list[tuple[str, set[str], list[int]]] = []  # (role, content words, the turn of each time it is said)
        out, need = [], self.param("loop_overlap", 0.5)
        refrains: dict[str, list[int]] = {}  # a sentence said word for word, by either side
        for i, t in enumerate(dialogue.turns):
            in_turn: Counter[str] = Counter()
            for sent in sentences(t.text):
                # "Let's talk about it further." in five turns, "Goodbye." four times in one line: a refrain is a
                # loop however few its words (a one- or two-word sentence only within one turn: "Thanks." in three
                # turns is fine).
                key = " ".join(tokens(sent))
                in_turn[key] += 1
                if key.count(" ") >= 2:
                    refrains.setdefault(key, []).append(i)
                said_in = refrains.get(key, []) if key.count(" ") >= 2 else [i] * in_turn[key]
                if key and len(said_in) == 3:
                    out.append((i, sent, f"{quote(i, t, sent, 120)} is said a third time, word for word "
                                         f"(turns {', '.join(str(x + 1) for x in said_in)})"))
                    continue
                words = self._content(sent)
                if len(words) < 4:
                    continue
                for role, ws, turns in said:
                    if role == t.role and len(words & ws) / len(words | ws) >= need:
                        # Said again in the same turn counts too: "I'm excited to find …" twice in one line.
                        turns.append(i)
                        if len(turns) == 3:
                            out.append((i, sent, f"{quote(i, t, sent, 120)} makes the same point a third time "
                                                 f"(turns {', '.join(str(x + 1) for x in turns)})"))
                        break
                else:
                    said.append((t.role, words, [i]))
        return out

    def line_flaws(self, dialogue: Dialogue) -> list[LineFlaw]:
        # With every turn's penalty at most `line_limit` the score is at least 1 - line_limit: 0.5 keeps the
        # dialogue at its floor however the talk goes on.
        if not dialogue.turns:
            return []
        last = len(dialogue.turns) - 1
        loops = [LineFlaw(self.name, "makes the same point a third time", sent)
                 for i, sent, _ in self._loops(dialogue) if i == last]
        if loops:
            return loops
        found = self._copies(dialogue)
        if found:
            return found  # leaving out the copied sentences cures a parrot as well
        return [LineFlaw(self.name, "repeats most of the other side's last turn")
                for _ in self._parrots(dialogue, last)]

    def _copies(self, dialogue: Dialogue) -> list[LineFlaw]:
        """The last line's sentences said twice, or copied from earlier turns past the line limit."""
        n, limit = self.param("cross_n", 4), self.param("line_limit", 0.5)
        seen = {g for t in dialogue.turns[:-1] for g in ngrams(self._tokens(t.text), n)}
        parts, said, flaws = [], set(), []
        for s in sentences(dialogue.turns[-1].text):
            # A sentence said twice in one line ("I appreciate it. Goodbye. I appreciate it. Goodbye."): the copy goes.
            key = " ".join(tokens(s))
            if key in said:
                flaws.append(LineFlaw(self.name, f"says \"{s}\" twice", s))
            else:
                parts.append(s)
                said.add(key)
        pen, overlap, dup, _, _ = self._turn(" ".join(parts), seen)
        if pen <= limit:
            return flaws
        if overlap >= dup:
            # A line that copies earlier turns mostly copies them in a few sentences ("You're welcome! I'm glad
            # you're interested in the Lexus ES 350."): left out, most repetitions cure the line without a resample.
            share = {s: sum(g in seen for g in grams) / len(grams)
                     for s in parts if (grams := ngrams(self._tokens(s), n))}
            drop: list[str] = []
            for s in sorted(share, key=share.get, reverse=True):
                if share[s] <= self.param("tolerance", 0.15) or len(drop) + 1 >= len(parts):
                    break
                drop.append(s)
                if self._turn(" ".join(p for p in parts if p not in drop), seen)[0] <= limit:
                    return flaws + [LineFlaw(self.name, f"repeats {share[d]:.0%} of its word sequences from "
                                                        "earlier turns", d) for d in drop]
        what = (f"repeats {overlap:.0%} of its word sequences from earlier turns" if overlap >= dup
                else f"repeats itself ({dup:.0%} of its 3-grams)")
        return [LineFlaw(self.name, what)]
