"""The voice: the LLM writes one planned move as one line, in the speaker's persona, inside the word band.

On servers that take a grammar the line is decoded under `band_grammar`, so it is in the band at its first try;
elsewhere it is trimmed to the last sentence end inside the band and resampled when it cannot be. The grammar also
holds money and other figures to those the move may state (the commonest rewrite was a figure its facts do not
give). The scenario's check says whether the line carries its move (the product named, the price exact, the
decision said) and nothing beyond it. A line whose problems all sit in one or two sentences is kept without them
when the rest is still in the band and carries the move (no call spent); otherwise it is written again, at most
`retries` times, and the try with fewest problems stays. A blemish (`Blemish`) is left out that way where it can be,
and is never a reason to write the line again.
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from itertools import combinations

from salesgen.core.dialogue import Usage
from salesgen.core.words import count_words, sentences
from salesgen.generate.moves import Blemish, Move, SimulationError
from salesgen.generate.text import (
    band_grammar,
    clean_line,
    cut_fragment,
    ends_with,
    is_garbled,
    is_narration,
    is_refusal,
    ngram_overlap,
    trim_to_words,
)
from salesgen.llm.base import GRAMMAR, ChatModel

_SPLIT_NUMBER = re.compile(r"(?<![\d,])(\d{1,3}(?:,\d{3})*), (\d{3})(?!\d)")


@dataclass
class Speaker:
    """One side's conversation as its voice sees it, kept on its own KV-cache slot so each turn only processes the
    new tokens: the system prompt, then each line it heard with its next move, and each line it said."""

    role: str
    name: str
    slot: int | None
    messages: list[dict[str, str]] = field(default_factory=list)


@dataclass
class Line:
    text: str
    usage: Usage
    attempts: int
    notes: list[str]


@dataclass
class VoiceOptions:
    min_words: int = 50
    max_words: int = 75
    retries: int = 1  # tries after the first when a line misses its move
    temperature: float | None = None
    top_p: float | None = None
    tokens_per_word: float = 2.4  # generation budget per allowed word; a grammar ends the line before it
    overrun: int = 10  # words a grammar lets a line run past the band before it must end; then cut back
    grammar: bool = True  # on servers that take one (llama.cpp)
    no_copy: bool = True  # on llama.cpp servers, the DRY sampler against copying the context
    max_overlap: float = 0.5  # share of a line's 4-grams said before, above which it is a loop


class Voice:
    def __init__(self, model: ChatModel, opts: VoiceOptions):
        self.model, self.opts = model, opts
        self.grammar = opts.grammar and GRAMMAR in model.abilities

    def _problems(self, text: str, earlier: list[str], move_problems: list[str], speaker: Speaker,
                  other: Speaker) -> list[str]:
        """What is wrong with a candidate line: its move's problems, then the band, refusals, loops and roles."""
        o = self.opts
        words = count_words(text)
        out = list(move_problems)
        if not o.min_words <= words <= o.max_words:
            out.append(f"{words} words, outside {o.min_words}-{o.max_words}")
        if is_refusal(text):
            out.append("an assistant's refusal")
        if is_garbled(text):
            out.append("garbled words")
        if ngram_overlap(text, earlier) > o.max_overlap:
            out.append("repeats earlier lines")
        if is_narration(text) or f"the {other.role}" in text.lower():
            out.append(f"talks about the {other.role} instead of to them")
        if self._addresses_itself(text, speaker.name):
            out.append("addresses someone by its own name")
        if re.search(rf"\bI(?:'m| am) {re.escape(other.name)}\b", text, re.I):
            out.append(f"speaks as {other.name}")
        return out

    def _fit(self, raw: str, own: str, other: str, keep_last: int = 0, max_words: int | None = None,
             min_words: int | None = None) -> tuple[str, list[str]]:
        """The line without labels or the other side's words, cut to the band (or `min_words`-`max_words`) at a
        sentence end where it overran (before its last `keep_last` sentences: the closing questions the rules
        gave)."""
        hi = self.opts.max_words if max_words is None else max_words
        lo = self.opts.min_words if min_words is None else min_words
        text, notes = clean_line(raw, (own,), (other,))
        # "128, 000 miles": a digit group the model wrote after a comma and a space is one number.
        while (joined := _SPLIT_NUMBER.sub(r"\1,\2", text)) != text:  # "1, 000, 000" takes two passes
            text = joined
        text, cut = cut_fragment(text)
        notes += ["fragment_cut"] * cut
        if count_words(text) > hi:
            trimmed = trim_to_words(text, hi, lo, keep_last)
            if trimmed is not None:
                text = trimmed
                notes.append("trimmed")
        return text, notes

    def _end_at(self, text: str, closer: str) -> tuple[str, bool]:
        """The line cut right after its closing words where it runs on past them and is still long enough: run on,
        the 1.5B seller answered its own question in the customer's words ("When do you need it by? I'm looking for
        it by the end of the week."). Held there by the grammar instead, it could not stop where it wanted and wrote
        more questions before the closer (BENCHMARKS §8, Session 5)."""
        if not closer or ends_with(text, closer):
            return text, False
        said = sentences(text)
        for k in range(len(said) - 1, 0, -1):
            head = " ".join(said[:k])
            if ends_with(head, closer) and count_words(head) >= self.opts.min_words:
                return head, True
        return text, False

    @staticmethod
    def _before(text: str, closer: str, min_words: int = 0) -> str:
        """The model's words before the sentence where it said the rules' closing words itself, if it did: they
        are appended once, at the end. Where fewer than `min_words` come before them, the words after them stay
        too (the closing words taken out): cut there, the tiny model's line fell under the band on every try."""
        said = sentences(text)
        n = len(sentences(closer))
        for k in range(len(said)):
            if ends_with(" ".join(said[:k + 1]), closer):
                head, after = said[:k + 1 - n], said[k + 1:]
                return " ".join(head if count_words(" ".join(head)) >= min_words else head + after)
        return text

    @staticmethod
    def _opening(text: str, openers: list[str]) -> int:
        """How many sentences of the line are the rules' opening words: those of the opener it starts with (a
        grammar holds it to one), else of the shortest; at least one where there are openers."""
        if not openers:
            return 0
        said = [n for o in openers if text.startswith(o.rstrip()) for n in [len(sentences(o))]]
        return max(said or [min(len(sentences(o)) for o in openers)])

    @staticmethod
    def _append(body: str, closer: str) -> str:
        """The model's line with the rules' closing words after it."""
        return f"{body.strip()} {closer}".strip()

    @staticmethod
    def _addresses_itself(text: str, name: str) -> bool:
        """The speaker's own name used other than to introduce itself ("Hello, Mateo!" said by Mateo)."""
        own = re.escape(name)
        uses = len(re.findall(rf"\b{own}\b", text))
        intros = len(re.findall(rf"\b(?:I'm|I am|name is|it's|this is|me,)\s+{own}\b", text, re.I))
        return uses > intros

    def _mend(self, text: str, earlier: list[str], check, speaker: Speaker, other: Speaker, problems: list[str],
              keep_first: int = 0, keep_last: int = 0) -> tuple[str, int, list[str]] | None:
        """The line without the one or two sentences whose leaving out cures its `problems`, still in the band and
        still carrying its move (the check says so): the line left, how many sentences went, and the blemishes it
        still has; None when no cut does better. A cut that leaves only blemishes does better when the line had a
        fault, or had more blemishes. The first `keep_first` sentences (the rules' opening words) stay whatever; so
        do the last `keep_last` (the rules' closing questions)."""
        o = self.opts
        said = sentences(text)
        droppable = range(keep_first, len(said) - keep_last)
        faulty = any(not isinstance(p, Blemish) for p in problems)
        best: tuple[str, int, list[str]] | None = None
        for k in (1, 2):
            for cut in sorted(combinations(droppable, k), reverse=True):  # the line's end first: padding sits there
                rest = " ".join(x for i, x in enumerate(said) if i not in cut)
                if len(cut) >= len(said) or not o.min_words <= count_words(rest) <= o.max_words:
                    continue
                left = self._problems(rest, earlier, check(rest), speaker, other)
                if not left:
                    return rest, k, []
                if all(isinstance(p, Blemish) for p in left) and (faulty or len(left) < len(problems)) and \
                        (best is None or len(left) < len(best[2])):
                    best = (rest, k, left)
        return best

    async def say(self, speaker: Speaker, other: Speaker, move: Move, prompt: str, earlier: list[str],
                  check, rng: random.Random, amounts: list[str] = (), figures: list[str] | None = None) -> Line:
        """Write `move`; `prompt` (the heard line and the brief) is appended to the speaker's conversation, and the
        line kept is appended as what it said. `check(text)` gives the move's problems with a candidate line."""
        o = self.opts
        speaker.messages.append({"role": "user", "content": prompt})
        usage, notes = Usage(), []
        best: tuple[tuple[bool, int, int], str, list[str]] | None = None
        attempts = 0
        # The words the rules append after the model's (Move.append_closer) leave it less of the band.
        given = count_words(move.closer) if move.append_closer and move.closer else 0
        # An opener is forced by the grammar, and the model may spell it a character a token where the DRY sampler
        # (no_copy) weighs against the usual tokens of words the context holds: the tiny model spent 132 tokens on
        # the 35 words of a customer's opening words, and the limit cut them off. A limit, not a cost: the grammar
        # ends the line first.
        opener_tokens = max((len(op) for op in move.openers), default=0) if self.grammar else 0
        for attempt in range(o.retries + 1):
            attempts = attempt + 1
            temperature = None if o.temperature is None else min(1.2, o.temperature + 0.1 * attempt)
            # The last try may not run past the band at all: its line is in the band whatever the model does.
            overrun = o.overrun if attempt < o.retries else 0
            # No one answers a decision's line: asked for the decision, the 1.5B customer ended on a question ("Is
            # there anything else I want to know?") in 5 of 15 last lines, 9 tries in all (N4, session 11).
            grammar = band_grammar(max(1, o.min_words - given), o.max_words - given, amounts, overrun, move.openers,
                                   figures, questions=not move.final) if self.grammar else None
            c = await self.model.complete(speaker.messages,
                                          max_tokens=int((o.max_words - given + overrun) * o.tokens_per_word)
                                          + opener_tokens,
                                          temperature=temperature, top_p=o.top_p, slot=speaker.slot,
                                          seed=rng.randrange(2**31), grammar=grammar,
                                          no_copy=o.no_copy)
            usage.add(c.usage)
            if given:  # the model's words cleaned and fitted to what the closer leaves, then the closer
                said = self._before(c.text, move.closer, o.min_words - given)
                body, fixes = self._fit(said, speaker.name, other.name, 0, o.max_words - given, o.min_words - given)
                text = self._append(body, move.closer) if body else ""
            else:
                text, cut = self._end_at(c.text, move.closer)
                notes += ["cut_after_closer"] * cut
                # The closer's sentences stay through a cut or a mend, where the line ends with them.
                text, fixes = self._fit(text, speaker.name, other.name,
                                        len(sentences(move.closer)) if ends_with(text, move.closer) else 0)
            closing = len(sentences(move.closer)) if ends_with(text, move.closer) else 0
            notes += [f for f in fixes if f not in notes]
            problems = self._problems(text, earlier, check(text) if text else ["no words"], speaker, other)
            if problems and (mended := self._mend(text, earlier, check, speaker, other, problems,
                                                  self._opening(text, move.openers), closing)):
                # A sentence or two carried every fault (and some blemishes): the line without them is kept, no call
                # spent.
                text, problems = mended[0], mended[2]
                notes += ["sentence_dropped"] * mended[1]
            # A line out of the band fails a gate whatever else is right with it: any in-band try beats it. A
            # blemish left is no reason to write the line again.
            hard = [p for p in problems if not isinstance(p, Blemish)]
            rank = (not o.min_words <= count_words(text) <= o.max_words, len(hard), len(problems))
            if best is None or rank < best[0]:
                best = (rank, text, problems)
            if not hard:
                break
            notes.append("rewritten: " + "; ".join(problems))
        assert best is not None
        _, text, problems = best
        if not text:
            raise SimulationError(f"the {speaker.role} model returned no usable text in {attempts} tries")
        notes += [f"unmet: {p}" for p in problems]
        speaker.messages.append({"role": "assistant", "content": text})
        return Line(text, usage, attempts, notes)
