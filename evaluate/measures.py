"""Per-dialogue figures that the rubric aggregates and the variant comparison pairs up."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import fmean
from typing import Any

from core.dialogue import FAILED, KEPT, Dialogue, Verdict
from evaluate.config import Criterion, Source
from evaluate.text import word_count


def _lookup(details: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(details, dict):
            return None
        details = details.get(part)
    return details


def _detail_score(v: Verdict, source: Source) -> float | None:
    """One detail of a verdict on 0-1; the LLM judge may store a bare 1-5 number or {"score": n, ...}."""
    for path in source.details:
        value = _lookup(v.details, path)
        if isinstance(value, dict):
            value = value.get("score")
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if source.scale:
            lo, hi = source.scale
            value = (value - lo) / (hi - lo)
        return max(0.0, min(1.0, float(value)))
    return None


def source_score(d: Dialogue, source: Source) -> float | None:
    for v in d.verdicts:
        if v.judge != source.judge or v.error:
            continue
        if source.details:
            return _detail_score(v, source)
        return v.score
    return None


def criterion_score(d: Dialogue, criterion: Criterion) -> float | None:
    vals = [s for s in (source_score(d, src) for src in criterion.sources) if s is not None]
    return fmean(vals) if vals else None


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
           Measure("score", "overall judge score", True)]
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
