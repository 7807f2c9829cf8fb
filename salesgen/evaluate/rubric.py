"""The grading rubric: data size and bonus, the five quality criteria, products sold, compute time, discards."""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from statistics import fmean, median
from typing import Any

from salesgen.core.criteria import criterion_score, source_score
from salesgen.core.dialogue import DISCARDED, FAILED, KEPT, Dialogue
from salesgen.evaluate.config import Criterion, settings
from salesgen.evaluate.measures import (
    category,
    persona_type,
    seconds,
    sold,
    tokens_used,
    total_seconds,
)
from salesgen.evaluate.stats import bootstrap_ci
from salesgen.evaluate.text import word_count

_REASON_PATTERNS = [
    (re.compile(r"^gate (\w+)"), "gate {} failed"),
    (re.compile(r"^(\w+) veto:"), "{} veto"),
    (re.compile(r"^score [\d.]+ below"), "score below --min-score"),
    (re.compile(r"^(\w+) error:"), "{} error"),
    (re.compile(r"^(\w+) [\d.]+:"), "{} scored low"),
]


def reason_key(reason: str) -> str:
    """Group reasons that differ only in figures: 'accuracy veto: ...' -> 'accuracy veto'."""
    for pattern, fmt in _REASON_PATTERNS:
        m = pattern.match(reason)
        if m:
            return fmt.format(*m.groups())
    return re.sub(r"\d+(\.\d+)?", "#", reason.split(":")[0]).strip()[:80] or "unspecified"


def summary(values: Sequence[float], seed: int = 0) -> dict[str, Any]:
    if not values:
        return {"n": 0, "mean": None}
    return {"n": len(values), "mean": fmean(values), "median": median(values), "min": min(values),
            "max": max(values), "total": sum(values), "ci": bootstrap_ci(values, seed=seed)}


def histogram(values: Sequence[float], bins: int, lo: float = 0.0, hi: float = 1.0) -> dict[str, Any]:
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, max(0, int((v - lo) / (hi - lo) * bins)))] += 1
    return {"edges": [lo + (hi - lo) * i / bins for i in range(bins + 1)], "counts": counts}


def _grouped(dialogues: Sequence[Dialogue], key: Callable[[Dialogue], str]) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[Dialogue]] = defaultdict(list)
    for d in dialogues:
        groups[key(d)].append(d)
    return {k: {"n": len(g), "sold": sum(sold(d) for d in g), "rate": sum(sold(d) for d in g) / len(g)}
            for k, g in sorted(groups.items())}


def band_from(manifest: dict[str, Any]) -> tuple[int, int]:
    """The run's own word band when the manifest records it, else the rubric's 50-75."""
    cfg = manifest.get("config") or {}
    lo, hi = settings()["rubric"]["words"]
    lo = cfg.get("min_words") if isinstance(cfg.get("min_words"), int) else lo
    hi = cfg.get("max_words") if isinstance(cfg.get("max_words"), int) else hi
    return int(lo), int(hi)


def quality(dialogues: Sequence[Dialogue], criteria: Sequence[Criterion]) -> list[dict[str, Any]]:
    cfg = settings()["rubric"]
    kept = [d for d in dialogues if d.status == KEPT]
    judged = [d for d in dialogues if d.status != FAILED]
    out = []
    for c in criteria:
        k_vals = [x for x in (criterion_score(d, c) for d in kept) if x is not None]
        a_vals = [x for x in (criterion_score(d, c) for d in judged) if x is not None]
        sources = {}
        for src in c.sources:
            vals = [x for x in (source_score(d, src) for d in kept) if x is not None]
            sources[src.label()] = {"n": len(vals), "mean": fmean(vals) if vals else None}
        out.append({"name": c.name, "label": c.label, "kept": summary(k_vals), "all": summary(a_vals),
                    "hist_kept": histogram(k_vals, cfg["score_bins"]),
                    "hist_discarded": histogram([x for x in (criterion_score(d, c) for d in judged
                                                             if d.status == DISCARDED) if x is not None],
                                                cfg["score_bins"]),
                    "sources": sources, "missing_kept": len(kept) - len(k_vals)})
    return out


def gates(dialogues: Sequence[Dialogue]) -> list[dict[str, Any]]:
    """Per gate: dialogues it was decided on, how many failed it, and the first failure's evidence."""
    seen: dict[str, dict[str, Any]] = {}
    for d in dialogues:
        for name, passed in d.gates.items():
            g = seen.setdefault(name, {"name": name, "judged": 0, "failed": 0, "example": None})
            g["judged"] += 1
            g["failed"] += not passed
            if not passed and g["example"] is None:
                g["example"] = next((r for r in d.reasons if r.startswith(f"gate {name} ")), None)
    return sorted(seen.values(), key=lambda g: (-g["failed"], g["name"]))


def compute(dialogues: Sequence[Dialogue], manifest: dict[str, Any], kept_n: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for stage in ("generate", "judge"):
        out[stage] = summary([s for s in (seconds(d, stage) for d in dialogues) if s is not None])
    out["total"] = summary([s for s in (total_seconds(d) for d in dialogues) if s is not None])
    toks = [d for d in dialogues if tokens_used(d) or d.usage.calls]
    out["tokens"] = summary([float(tokens_used(d)) for d in toks])
    out["prompt_tokens"] = summary([float(d.usage.prompt_tokens) for d in toks])
    out["completion_tokens"] = summary([float(d.usage.completion_tokens) for d in toks])
    out["cached_tokens"] = summary([float(d.usage.cached_tokens) for d in toks])
    # The cost of the dataset includes every discarded attempt: spread it over what was kept.
    spent = out["total"]["total"] if out["total"]["n"] else None
    out["seconds_per_kept"] = spent / kept_n if spent is not None and kept_n else None
    out["tokens_per_kept"] = out["tokens"]["total"] / kept_n if out["tokens"]["n"] and kept_n else None
    timings = manifest.get("timings") or {}
    # "total": every session of the run (run.py writes it when each was timed); else the last session only.
    wall = [(k, timings[k]) for k in ("total", "wall", "last_session_seconds") if isinstance(timings.get(k),
                                                                                           int | float)]
    out["wall_seconds"] = wall[0][1] if wall else None
    out["wall_key"] = wall[0][0] if wall else None
    out["wall_per_kept"] = out["wall_seconds"] / kept_n if out["wall_seconds"] and kept_n else None
    secs = [s for s in (total_seconds(d) for d in dialogues) if s is not None]
    out["hist_seconds"] = histogram(secs, 20, 0.0, max(secs) or 1.0) if secs else None
    tks = [float(tokens_used(d)) for d in toks]
    out["hist_tokens"] = histogram(tks, 20, 0.0, max(tks) or 1.0) if tks else None
    return out


def rubric(dialogues: Sequence[Dialogue], manifest: dict[str, Any], criteria: Sequence[Criterion]) -> dict[str, Any]:
    cfg = settings()["rubric"]
    kept = [d for d in dialogues if d.status == KEPT]
    discarded = [d for d in dialogues if d.status == DISCARDED]
    failed = [d for d in dialogues if d.status == FAILED]
    n, minimum, step = len(kept), cfg["min_dialogues"], cfg["bonus_step"]
    band = band_from(manifest)
    max_ex = (manifest.get("config") or {}).get("max_exchanges") or cfg["max_exchanges"]
    words = [word_count(t.text) for d in kept for t in d.turns]
    exchanges = [len(d.exchanges()) for d in kept]
    reasons: Counter[str] = Counter()
    examples: dict[str, str] = {}
    for d in discarded + failed:
        for key, text in {reason_key(r): r for r in (d.reasons or ["no reason recorded"])}.items():
            reasons[key] += 1
            examples.setdefault(key, text)
    attempts = len(dialogues)
    scores_kept = [d.score for d in kept if d.score is not None]
    scores_disc = [d.score for d in discarded if d.score is not None]
    return {
        "counts": {"attempts": attempts, "kept": n, "discarded": len(discarded), "failed": len(failed)},
        "data_size": {"kept": n, "minimum": minimum, "meets_minimum": n >= minimum, "bonus_step": step,
                      "bonus_steps": max(0, (n - minimum) // step), "short_by": max(0, minimum - n)},
        "format": {"band": list(band), "responses_in_band": (sum(band[0] <= w <= band[1] for w in words) / len(words))
                   if words else None, "max_exchanges": max_ex,
                   "within_max_exchanges": (sum(e <= max_ex for e in exchanges) / len(exchanges)) if exchanges
                   else None, "exchanges_mean": fmean(exchanges) if exchanges else None},
        "score": {"kept": summary(scores_kept), "discarded": summary(scores_disc),
                  "hist_kept": histogram(scores_kept, cfg["score_bins"]),
                  "hist_discarded": histogram(scores_disc, cfg["score_bins"])},
        "gates": gates(dialogues),
        "quality": quality(dialogues, criteria),
        "sales": {"sold": sum(sold(d) for d in kept), "rate": sum(sold(d) for d in kept) / n if n else None,
                  "no_decision": sum(1 for d in kept if d.outcome is None or d.outcome.bought is None),
                  "by_category": _grouped(kept, category), "by_persona": _grouped(kept, persona_type),
                  "revenue": sum(d.outcome.price or 0 for d in kept if sold(d) and d.outcome)},
        "compute": compute(dialogues, manifest, n),
        "discards": {"rate": len(discarded) / attempts if attempts else None,
                     "failed_rate": len(failed) / attempts if attempts else None,
                     "reasons": [{"reason": k, "count": c, "example": examples[k]} for k, c in reasons.most_common()]},
    }
