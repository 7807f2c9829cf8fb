"""The rubric's quality criteria (data/judge/criteria.toml): which judge verdicts feed each, and a dialogue's
score on each. The judge panel computes them for its quality score; the evaluation reports them."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from salesgen.core.dialogue import Dialogue, Verdict
from salesgen.core.errors import InputError
from salesgen.core.files import read_toml

CRITERIA_FILE = Path(__file__).resolve().parent.parent / "data" / "judge" / "criteria.toml"


@dataclass(frozen=True)
class Source:
    judge: str
    details: tuple[str, ...] = ()  # dotted paths into Verdict.details; the first that holds a number is used
    scale: tuple[float, float] | None = None  # maps a detail score from this range onto 0-1

    def label(self) -> str:
        return f"{self.judge}.{self.details[0]}" if self.details else self.judge


@dataclass(frozen=True)
class Criterion:
    name: str
    label: str
    sources: tuple[Source, ...] = field(default_factory=tuple)


@cache
def criteria(path: Path = CRITERIA_FILE) -> tuple[Criterion, ...]:
    out = []
    for name, spec in read_toml(path).items():
        if not isinstance(spec, dict) or not isinstance(spec.get("sources"), list):
            raise InputError(f"{path}: criterion \"{name}\" needs a \"sources\" list.")
        sources = []
        for s in spec["sources"]:
            if not isinstance(s, dict) or not isinstance(s.get("judge"), str):
                raise InputError(f"{path}: every source of \"{name}\" needs a \"judge\" name.")
            scale, detail = s.get("scale"), s.get("detail") or ()
            paths = (detail,) if isinstance(detail, str) else tuple(detail)
            sources.append(Source(s["judge"], paths, tuple(scale) if scale else None))
        out.append(Criterion(name, spec.get("label", name), tuple(sources)))
    return tuple(out)


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


def verdict_score(verdicts: list[Verdict], source: Source) -> float | None:
    for v in verdicts:
        if v.judge != source.judge or v.error:
            continue
        if source.details:
            return _detail_score(v, source)
        return v.score
    return None


def source_score(d: Dialogue, source: Source) -> float | None:
    return verdict_score(d.verdicts, source)


def criterion_of(verdicts: list[Verdict], criterion: Criterion,
                 weights: Mapping[str, float] | None = None) -> float | None:
    """The weighted mean of the criterion's sources present (each judge's weight from the panel; 1 without one).
    A judge of weight 0 is recorded and not counted."""
    pairs = [(s, (weights or {}).get(src.judge, 1.0)) for src in criterion.sources
             if (s := verdict_score(verdicts, src)) is not None]
    total = sum(w for _, w in pairs)
    return sum(s * w for s, w in pairs) / total if total > 0 else None


def criterion_score(d: Dialogue, criterion: Criterion) -> float | None:
    """The panel's figure when it recorded one; else (older records) the unweighted mean of the sources."""
    if criterion.name in d.criteria:
        return d.criteria[criterion.name]
    return criterion_of(d.verdicts, criterion)
