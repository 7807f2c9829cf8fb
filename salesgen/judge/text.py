"""Text helpers shared by the judges: words, n-grams, sentences, quoting a turn as evidence."""
from __future__ import annotations

import re
from collections.abc import Iterable

from salesgen.core.dialogue import Turn

_TOKEN = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")

# Small English stop-word list: enough to find the content words two turns share, no download needed.
STOPWORDS = frozenset("""
a about above after again against all am an and any are as at be because been before being below between both but
by can could did do does doing down during each few for from further had has have having he her here hers herself
him himself his how i if in into is it its itself just me more most my myself no nor not now of off on once only or
other our ours ourselves out over own same she should so some such than that the their theirs them themselves then
there these they this those through to too under until up very was we were what when where which while who whom why
will with would you your yours yourself yourselves i'm i'd i'll i've you're you've you'll it's that's there's let's
can't don't won't isn't aren't doesn't didn't we're we'll we've they're also really well yes yeah oh ok okay sure
get got go going want like one would could might may much many lot thing things something anything great good
""".split())


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens without punctuation, for n-gram and overlap statistics."""
    return _TOKEN.findall(text.lower().replace("’", "'"))


def is_content(token: str) -> bool:
    return token not in STOPWORDS and len(token) > 2 and not token.isdigit()


def content_words(text: str) -> set[str]:
    return {t for t in tokens(text) if is_content(t)}


def ngrams(toks: list[str], n: int) -> list[tuple[str, ...]]:
    return [tuple(toks[i:i + n]) for i in range(len(toks) - n + 1)]


def clip(text: str, limit: int = 160) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def where(index: int, turn: Turn) -> str:
    """'turn 3 (salesperson)': 1-based so a person can count along in the transcript."""
    return f"turn {index + 1} ({turn.role})"


def quote(index: int, turn: Turn, fragment: str | None = None, limit: int = 160) -> str:
    """Evidence line: which turn, and the words themselves (the fragment if given, else the turn's start)."""
    return f'{where(index, turn)}: "{clip(fragment if fragment is not None else turn.text, limit)}"'


def snippet(text: str, start: int, end: int, pad: int = 60) -> str:
    """The words around a match, so evidence shows the claim in its sentence."""
    a, b = max(0, start - pad), min(len(text), end + pad)
    return ("…" if a > 0 else "") + text[a:b].strip() + ("…" if b < len(text) else "")


def clamp(x: float, lo: float = 0.0, hi: float = 1.0) -> float:
    return max(lo, min(hi, x))


def mean(xs: Iterable[float], default: float = 1.0) -> float:
    xs = list(xs)
    return sum(xs) / len(xs) if xs else default
