"""What a word and a sentence are: one definition, so the generator enforces the length the judges score."""
from __future__ import annotations

import re

WORD = re.compile(r"[A-Za-z0-9$][\w'’$.,%-]*")  # a word starts with a letter, a digit or $
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)]*\s+")


def count_words(text: str) -> int:
    return len(WORD.findall(text))


def sentences(text: str) -> list[str]:
    """Split after . ! ? (and any closing quote or bracket) followed by space."""
    return [s for s in _SENTENCE_END.split(text.strip()) if s]
