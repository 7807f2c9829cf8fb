"""Text helpers shared by the metrics: the named tokenizer, word counts, one role's side of a dialogue."""
from __future__ import annotations

from functools import cache

from nltk.tokenize import RegexpTokenizer

from salesgen.core.dialogue import Dialogue
from salesgen.evaluate.config import settings


@cache
def _tokenizer() -> RegexpTokenizer:
    return RegexpTokenizer(settings()["text"]["token_pattern"])


def tokenizer_name() -> str:
    return f"lower-cased, nltk RegexpTokenizer(r\"{settings()['text']['token_pattern']}\"), punctuation dropped"


def tokens(text: str) -> list[str]:
    return _tokenizer().tokenize(text.lower())


def word_count(text: str) -> int:
    """Words as a reader counts them (whitespace-separated), the unit of the 50-75 word rule."""
    return len(text.split())


def side(d: Dialogue, role: str) -> str:
    """All turns of one role joined: the unit BERTScore compares."""
    return " ".join(t.text.strip() for t in d.turns if t.role == role and t.text.strip())
