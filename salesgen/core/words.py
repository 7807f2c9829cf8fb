"""What a word, a sentence and a template slot are: one definition, so the generator enforces what the judges score."""
from __future__ import annotations

import re

WORD = re.compile(r"[A-Za-z0-9$][\w'’$.,%-]*")  # a word starts with a letter, a digit or $
_CLOSERS = "[\"'”’)]*"  # what may follow a sentence's . ! ?: a closing quote or bracket
_SENTENCE_END = re.compile(rf"(?<=[.!?]){_CLOSERS}\s+")
_ENDS_SENTENCE = re.compile(rf"[.!?]{_CLOSERS}$")
# A template slot the model left unfilled: "[Customer's Name]", "[Your Name]", "[insert price]".
PLACEHOLDER = re.compile(r"\[(?!\[|END\])[^\[\]\n]{0,40}\b(?i:name|insert|your|store|company|dealership|"
                         r"customer|salesperson|product|price|date|number)\b[^\[\]\n]{0,40}\]")


def count_words(text: str) -> int:
    return len(WORD.findall(text))


def ends_sentence(text: str) -> bool:
    return bool(_ENDS_SENTENCE.search(text.rstrip()))


def sentences(text: str) -> list[str]:
    """Split after . ! ? (and any closing quote or bracket) followed by space."""
    return [s for s in _SENTENCE_END.split(text.strip()) if s]


def ngrams(t: str, n: int, plain: bool = False) -> list[tuple[str, ...]]:
    """The text's word n-grams, lower-cased; `plain`: without the punctuation at the words' ends."""
    w = [x.lower().strip(".,;:!?") if plain else x.lower() for x in WORD.findall(t)]
    return [tuple(w[i:i + n]) for i in range(len(w) - n + 1)]


_FIRST_PERSON = frozenset({"i", "me", "my", "mine", "myself", "i'm", "i'd", "i've", "i'll"})


def echoes(text: str, heard: str, given: str, n: int = 5) -> list[str]:
    """The text's sentences that say a run of `n` words of `heard` back in its speaker's first person, one its own
    brief (`given`) does not hold: the other side speaking of itself ("I had hoped for a Toyota"), not the needs or
    facts both sides name (any run of the customer's words: 10 of 52 seller lines, most of them its needs said back)."""
    own = set(ngrams(given, n, plain=True))
    theirs = {g for g in ngrams(heard, n, plain=True) if _FIRST_PERSON.intersection(g)} - own
    return [s for s in sentences(text) if theirs.intersection(ngrams(s, n, plain=True))]
