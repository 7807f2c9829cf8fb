"""Per-dialogue figures that the rubric aggregates and the variant comparison pairs up."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from salesgen.core.criteria import Criterion, criterion_score
from salesgen.core.dialogue import FAILED, KEPT, Dialogue
from salesgen.evaluate.text import word_count


def sold(d: Dialogue) -> bool:
    return bool(d.outcome is not None and d.outcome.bought)


def tokens_used(d: Dialogue) -> int:
    return d.usage.prompt_tokens + d.usage.completion_tokens


def seconds(d: Dialogue, stage: str) -> float | None:
    value = d.timing.get(stage) if isinstance(d.timing, dict) else None
    return float(value) if isinstance(value, int | float) else None


def total_seconds(d: Dialogue) -> float | None:
    parts = [s for s in (seconds(d, "generate"), seconds(d, "judge")) if s is not None]
    return sum(parts) if parts else None


def category(d: Dialogue) -> str:
    return (d.product.category if d.product and d.product.category else d.persona.category) or "unknown"


def persona_type(d: Dialogue) -> str:
    return d.persona.personality or "unknown"


@dataclass(frozen=True)
class Measure:
    name: str
    label: str
    higher_is_better: bool
    unit: str = ""


def measure_list(criteria: Sequence[Criterion]) -> list[Measure]:
    """What the variant comparison reports, in order."""
    out = [Measure("kept", "kept (share of attempts)", True, "share"),
           Measure("score", "quality score", True)]
    out += [Measure(c.name, c.label, True) for c in criteria]
    out += [Measure("sold", "sold (share)", True, "share"),
            Measure("words_in_band", "responses within the word band", True, "share"),
            Measure("tokens", "tokens per dialogue", False, "tokens"),
            Measure("seconds", "seconds per dialogue (generate + judge)", False, "s")]
    return out


def dialogue_measures(d: Dialogue, criteria: Sequence[Criterion], band: tuple[int, int]) -> dict[str, float | None]:
    """Every measure of one dialogue; None where it does not apply (e.g. judge scores of a failed dialogue)."""
    judged = d.status != FAILED
    counts = [word_count(t.text) for t in d.turns]
    out: dict[str, float | None] = {
        "kept": 1.0 if d.status == KEPT else 0.0,
        "score": d.score if judged else None,
        "sold": (1.0 if sold(d) else 0.0) if judged else None,
        "words_in_band": (sum(band[0] <= c <= band[1] for c in counts) / len(counts)) if counts else None,
        "tokens": float(tokens_used(d)) if d.usage.calls or tokens_used(d) else None,
        "seconds": total_seconds(d),
    }
    for c in criteria:
        out[c.name] = criterion_score(d, c) if judged else None
    return out
