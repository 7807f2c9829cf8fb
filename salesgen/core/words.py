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
