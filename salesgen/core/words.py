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


# A sentence worded as a question, whatever its end: held to no "?", a small model ends one on a full stop ("Is there
# anything else I want to know."). Inversion only: "When I drive to work, …" and "Have a nice day." are no questions.
_AUX = r"(?:is|are|am|was|were|do|does|did|can|could|would|will|should|shall|may|have|has)"
_ASKS = re.compile(rf"(?:{_AUX}\s+(?:I|you|we|they|it|he|she|there|this|that|the|your|my)"
                   rf"|(?:what|how|why|where|when|who)\s+(?:{_AUX}|much|many|long|about|else)"
                   r"|(?:any|anything)\s+(?:else|other|more))\b", re.I)


def asks(sentence: str) -> bool:
    """Whether a sentence is a question: it ends on "?", or is worded as one."""
    s = sentence.strip()
    return s.endswith("?") or bool(_ASKS.match(s))


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
