"""Rules the simulator applies to every generated line: clean it, count its words, trim it to length."""
from __future__ import annotations

import re
from collections.abc import Iterable

from salesgen.core.words import PLACEHOLDER, count_words, ends_sentence, ngrams, sentences

# Labels a model puts before its own line or uses to start writing the other side's line.
_ROLE_WORDS = (r"(?:sales\s*person|salesman|saleswoman|sales\s*rep(?:resentative)?|seller|dealer|agent|assistant"
               r"|customer|buyer|user|client|shopper)")
_LABEL = re.compile(rf"^\s*[*_#>\s]*(?:{_ROLE_WORDS}|[A-Z][a-z]+(?: \([^)]*\))?)\s*[*_]*\s*:\s*[*_]*\s*", re.I)
_OTHER_LABEL = re.compile(rf"(?:^|\n|\s)[*_#>]*\s*(?:{_ROLE_WORDS})\s*[*_]*\s*:"
                          rf"|\b(?:the|a|my) (?:{_ROLE_WORDS}) (?:says|said|replies|replied|responds|asks|answers)\b"
                          # A script of the reply: 'The customer may ask "What is the difference?"'
                          rf"|\b(?:the|a|my) (?:{_ROLE_WORDS}) (?:may|might|could|would|will|then) "
                          r"(?:ask|say|reply|respond|answer)\w*\b",
                          re.I)
# The speaker narrating its own line: 'Daniel approaches the customer warmly and says "Hello! ...'. The quote is
# the line; the narration before it goes, like a label.
_OWN_SAYS = r'^\W*{name}\b[^"“\n]{{0,80}}?\b(?:says|said|asks|replies|responds|continues|adds)\b[^"“\n]{{0,12}}["“]'


# Assistant-style refusals and self-references: never a line a salesperson or customer would say.
_REFUSAL = re.compile(r"\b(?:I'?m sorry,? but I (?:can(?:no|')t|am unable to) (?:assist|help)|as an AI\b|"
                      # "I'm sorry, I can't help you with that" (a customer's line, session 10, V5)
                      r"I (?:can(?:no|')t|am unable to) (?:assist|help)(?: you)? with (?:that|this)|"
                      # "I can't continue this conversation due to the restrictions" (make run, seed 0, dialogue 10)
                      r"I (?:can(?:no|')t|am unable to) (?:continue|go on with) (?:this|the|our) conversation)", re.I)


# How an instruction-tuned model answers a request before doing it: "Sure! ..." is to the prompt, not the other agent.
_ACK = re.compile(r"^(?:sure(?: thing)?|of course|certainly|absolutely|okay|ok|got it|understood)\b[!,.:]*\s*", re.I)


def strip_acknowledgement(text: str) -> str:
    out = _ACK.sub("", text, count=1)
    return out[:1].upper() + out[1:] if out != text else text


# A line that reports the conversation instead of taking part in it ("The salesperson explains that ...").
_NARRATION = re.compile(rf"^\W*(?:the|a|my) {_ROLE_WORDS} (?:\w+ly )?\w+s\b"
                        r"|^\W*(?:he|she|they) (?:says|said|explains?|asks?|mentions?|thanks?)\b", re.I)


# A sentence that reports the speaker's own talk instead of saying it: "I ask if I can see the available options."
# and "He asks about my current car. I tell him it's old." (a customer's lines, session 11, H3).
# "He asks" is narration at the line's start only (_NARRATION): later it may be a sister or a mechanic ("My sister
# borrows my car. She says it must be easy to drive.").
_REPORTED = re.compile(r"^\W*I (?:ask (?:if|whether|about|for|him|her|them)|inquire|tell (?:him|her|them))\b", re.I)


def is_narration(text: str) -> bool:
    return bool(_NARRATION.search(text)) or any(_REPORTED.search(s) for s in sentences(text))


def echoed(text: str, instruction: str, n: int = 5) -> list[str]:
    """The line's sentences that read back the instruction it answers ("Buy only if that price is within what I will
    pay and the product has my must-haves, otherwise pass."): most of their word n-grams are the instruction's."""
    return [s for s in sentences(text) if ngram_overlap(_PERSON.sub(_you, s), [instruction], n) > 0.5]


# Read back, the instruction's "you" becomes the speaker's "I": compared in the instruction's person.
_PERSON = re.compile(r"\b(?:I|me|my|mine)\b", re.I)


def _you(m: re.Match) -> str:
    return {"i": "you", "me": "you", "my": "your", "mine": "yours"}[m.group(0).lower()]


# Words run together or broken up as no one writes them: "it'sBattery", "equipment'sPM5aR.00700000PM", "it's''s''s".
# The 1.5B model wrote about one such line in 40 under the band grammar with the DRY sampler on ("00700000PM").
# Not "104000 miles": a figure may be written without its commas.
_GARBLED = re.compile(r"\w['\u2019](?:s|t|re|ll|ve|d|m)[A-Za-z]|''|\d{7,}")


def is_garbled(text: str) -> bool:
    return bool(_GARBLED.search(text))


def is_refusal(text: str) -> bool:
    return bool(_REFUSAL.search(text))


def ngram_overlap(text: str, earlier: list[str], n: int = 4) -> float:
    """Share of the text's word n-grams already said in earlier turns: 1.0 is a verbatim loop."""
    mine = ngrams(text, n)
    if not mine or not earlier:
        return 0.0
    seen = {g for t in earlier for g in ngrams(t, n)}
    return sum(g in seen for g in mine) / len(mine)


def drop_sentences(text: str, bad: Iterable[str | None]) -> tuple[str, int]:
    """The text without the given sentences (quoted verbatim by a judge), and how many were left out; a sentence
    given twice goes twice (the first occurrences: a line's last copy of it stays)."""
    dropped = 0
    for sentence in bad:
        if sentence and sentence in text:
            text, dropped = text.replace(sentence, " ", 1), dropped + 1
    return re.sub(r"\s+", " ", text).strip(), dropped


def cut_fragment(text: str) -> tuple[str, bool]:
    """The line without a last sentence that stops midway, where the token limit cut it ("... Thank you for");
    a line of one sentence stays as it is. (text, whether a fragment was cut)"""
    parts = sentences(text)
    if len(parts) < 2 or ends_sentence(parts[-1]):
        return text, False
    return text[: text.rindex(parts[-1])].rstrip(), True


def ends_with(text: str, words: str) -> bool:
    """Whether `text` ends with `words`, whatever the punctuation, case and apostrophes."""
    def plain(t: str) -> str:
        return " " + " ".join(re.findall(r"[\w$']+", t.replace("\u2019", "'").lower()))
    return bool(words.strip()) and plain(text).endswith(plain(words))


def trim_to_words(text: str, max_words: int, min_words: int, keep_last: int = 0) -> str | None:
    """Cut at the last sentence boundary within max_words; None if that leaves fewer than min_words. With
    `keep_last` the line's last sentences (that many) stay and the cut comes before them: a closing line gives its
    reasons first and its decision last, and a plain cut took the decision off 3 of 10 closes (make run, 3d2ba20);
    a line the rules close with a question keeps it."""
    parts = sentences(text)
    k = min(int(keep_last), len(parts) - 1)
    tail = parts[len(parts) - k:] if k > 0 else []
    parts = parts[:len(parts) - len(tail)]
    budget = max_words - sum(count_words(t) for t in tail)
    if budget < 0:
        return trim_to_words(text, max_words, min_words)
    kept: list[str] = []
    total = 0
    for s in parts:
        n = count_words(s)
        if total + n > budget:
            break
        kept.append(s)
        total += n
    if tail:
        kept, total = kept + tail, total + sum(count_words(t) for t in tail)
    return " ".join(kept) if kept and total >= min_words else None


# What a word may be made of under the grammar: English text, prices and figures, Latin-1 letters for names. No
# ":" (a speaker label), no "[" (a template slot), no markup or code symbols.
_GRAMMAR_CHAR = "[A-Za-z0-9$'.,!?%&()\"/+;\\-\\u00C0-\\u00FF\\u2014\\u2019\\u201C\\u201D]"


def line_grammar(min_words: int = 0) -> str:
    """A llama.cpp GBNF grammar for one paragraph of plain text, at least `min_words` words, that ends a sentence.

    Every line is decoded under it: no newline (one paragraph, no room for "\\n\\nCustomer:"), no speaker label, no
    template slot, no other script, no word over 20 characters, and the model may stop only after a sentence.
    A continuation is held to the words its line lacks, so that it is not short again (BENCHMARKS.md §2f); a first
    try gets no minimum, because a small model held back from stopping where it wants to writes filler, meta text
    ("150 words.") or drifts into Chinese. Words are what lies between single spaces, and two more than `min_words`
    are asked for because a grammar word such as "—" is not a word to count_words.
    """
    return "\n".join([
        f"root ::= word (\" \" word){{{min_words},}} \" \" last" if min_words else
        "root ::= (word \" \")* last",
        f"word ::= {_GRAMMAR_CHAR}{{1,20}}",
        f"last ::= {_GRAMMAR_CHAR}{{0,19}} [.!?] [\"')\\u2019\\u201D]? | \"[[END]]\"",
    ])


# A word of the band grammar is one word to core.words.count_words: it starts with a letter or a digit, holds only
# characters of that word class, and a "." inside it is followed by digits ("4.5", "ID.4"), so "throughout.Its"
# cannot be written; a "," inside a word only in a number ("8,900"): after letters the model wrote "and,1,0.".
# No quotes, brackets, colons or dashes between words: a line is spoken words.
# An amount of money is one of the line's `amounts` or nothing: no word may start with "$" otherwise.
_WORD_CHARS = "[A-Za-z0-9'%\\u00C0-\\u00FF\\u2019\\-]{0,15}"
_BAND_WORD = f"[A-Za-z\\u00C0-\\u00FF] {_WORD_CHARS} (\".\" [0-9]+ [A-Za-z]{{0,3}})?"
_BAND_FIGURE = f"[0-9] {_WORD_CHARS} ([.,] [0-9]+ [A-Za-z]{{0,3}}){{0,2}}"
# An allowed figure, or two joined by "-" ("0-12"), then a unit or a suffix of letters ("13-inch", "16GB", "10%"),
# never other digits. Figures joined by "x" ("1920x1200", "4x4") are allowed only whole, as the context writes them:
# any two joined, the 1.5B seller wrote "1920x120" and "2560x16" (session 12).
_FIGURE = "fig (\"-\" fig)? ([A-Za-z%'\\u2019\\-] [A-Za-z\\-]{0,11})?"


def _literal(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def band_grammar(min_words: int, max_words: int, amounts: Iterable[str] = (), overrun: int = 15,
                 openers: Iterable[str] = (), figures: Iterable[str] | None = None, questions: bool = True) -> str:
    """A llama.cpp GBNF grammar for one spoken paragraph of at least `min_words` words that ends a sentence.

    The model may stop at any sentence end from `min_words` on; it must stop by `max_words + overrun`, and the line
    is then cut back to its last sentence end within the band (a hard cap at `max_words` made the model cram its
    last sentence into one word: "I'mSureSamir,10000,20000,5GMac."). Money is limited to `amounts`, so a line states
    no price it was not given; with `figures` any other number is one of them (as written), so a line states no
    figure its facts do not give; with `openers` the line opens with one of them (what the rules know: an offer's
    price, the decision in words) and the model writes the rest. A figure the model wants that is not allowed
    becomes an allowed one in its place ("a 5-inch MacBook Air"): the list must hold every figure the line may
    fairly repeat, the talk's too (held to its own, the customer wrote "a trunk of 2025 cubic feet"). Questions are
    not bounded by the model's own words: held to one question at the end of a line, the 1.5B model wrote questions
    with a full stop ("Would you suggest something that would work well for me, Mateo.") or broke them off ("… as
    well, if."). The rules give the questions instead, as openers and closers.
    A line's end is not held to the rules' closing words: held there, the model could not stop where it wanted and
    wrote more questions before them, or, where no "?" was allowed before them, questions without end (BENCHMARKS
    §8, Session 5).
    """
    money = [_literal(a) for a in dict.fromkeys(amounts)]
    allowed = [_literal(f) for f in dict.fromkeys(figures or ())]
    numbers = [_BAND_FIGURE] if figures is None else [_FIGURE] if allowed else []

    def body(lead: int) -> str:  # the words after an opener of `lead` words
        lo = max(0, min_words - 1 - lead)
        hi = max(lo, max_words + overrun - 1 - lead)
        return f'(w " "){{{lo}}} (w " "){{0,{hi - lo}}} end'

    heads = [f"{_literal(o + ' ')} {body(count_words(o))}" for o in dict.fromkeys(openers)] or [body(0)]
    return "\n".join([
        "root ::= " + " | ".join(heads),
        "w ::= mid | end",
        "mid ::= core [,;]?",
        f"end ::= core [.!{'?' if questions else ''}]",
        "core ::= " + " | ".join([_BAND_WORD, *numbers, *money]),
        *([f"fig ::= {' | '.join(allowed)}"] if allowed else []),
    ])


def clean_line(text: str, own_names: tuple[str, ...] = (), other_names: tuple[str, ...] = ()) -> tuple[str, list[str]]:
    """Strip a leading role/name label, anything where the speaker starts writing the other side, and markup.

    Returns the cleaned text and notes on what was removed.
    """
    notes: list[str] = []
    out = text.replace("\r", "").strip()
    m = _LABEL.match(out)
    if m and (re.search(_ROLE_WORDS, m.group(0), re.I) or any(n.lower() in m.group(0).lower() for n in own_names if n)):
        out = out[m.end():]
        notes.append("role_prefix_removed")
    for n in own_names:
        if n and (said := re.match(_OWN_SAYS.format(name=re.escape(n)), out, re.I)):
            out = out[said.end():]
            notes.append("role_prefix_removed")
            break
    cuts = [m.start() for m in [_OTHER_LABEL.search(out)] if m]
    cuts += [m.start() for n in other_names if n for m in [re.search(rf"(?:^|\s){re.escape(n)}\s*:", out)] if m]
    if cuts:
        out = out[: min(cuts)]
        notes.append("leakage_removed")
    out = re.sub(r"\s+", " ", out.replace("**", "").replace("__", "")).strip().strip('"“”').strip()
    return out, notes


# The marker as asked for, and as small models also write it: "[END]", "(End)", at the end of the line.
_END = re.compile(r"\s*(?:\[\[END\]\]|\[END\]|\((?i:end)\))\s*")


def take_end_mark(text: str) -> tuple[str, bool]:
    """Remove the customer's end-of-conversation marker and say whether it was there."""
    # "[END]" anywhere (the asked-for "[[END]]" contains it); "(End)" only where a line ends, as it is also a word.
    if "[END]" in text or _END.search(text.rstrip()[-7:]):
        return _END.sub(" ", text).strip(), True
    return text, False


_WHO = {"customer": re.compile(r"customer|buyer|client|shopper", re.I),
        "salesperson": re.compile(r"sales|seller|agent|representative|rep\b", re.I),
        "store": re.compile(r"store|company|dealership|shop\b", re.I)}


def fill_placeholders(text: str, names: dict[str, str], speaker: str) -> tuple[str, int]:
    """Fill name slots the model left in brackets with the names it was given; others stay (the line is resampled).

    `names` maps "customer", "salesperson" and "store" to names; "[Your Name]" is the speaker's own.
    """
    filled = 0

    def fill(m: re.Match[str]) -> str:
        nonlocal filled
        slot = m.group(0)
        who = next((k for k, rx in _WHO.items() if rx.search(slot)), None)
        if who is None and re.search(r"\b(?:your|my)\s+name\b", slot, re.I):
            who = speaker
        if who is None or not names.get(who):
            return slot
        filled += 1
        return names[who]

    return PLACEHOLDER.sub(fill, text), filled
