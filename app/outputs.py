"""The run's final files, rebuilt from dialogues.jsonl so they are the same after a resume."""
from __future__ import annotations

from collections import Counter
from typing import Any

from core.dialogue import FAILED, KEPT, Dialogue
from core.formats import write_car_dealer, write_csv
from core.rundir import CAR_DEALER, CSV, RunDir


def select_kept(dialogues: list[Dialogue], wanted: int) -> list[Dialogue]:
    """Per variant, the first `wanted` kept dialogues by index: independent of completion order."""
    out: list[Dialogue] = []
    for variant in dict.fromkeys(d.variant for d in dialogues):
        kept = sorted((d for d in dialogues if d.variant == variant and d.status == KEPT), key=lambda d: d.index)
        out += kept[:wanted]
    return out


def summarize(dialogues: list[Dialogue], kept: list[Dialogue]) -> dict[str, Any]:
    reasons: Counter[str] = Counter()
    for d in dialogues:
        if d.status != KEPT:
            reasons.update({r.split(":")[0] for r in d.reasons} or {"unspecified"})
    n = len(dialogues) or 1
    gen_s = sum(d.timing.get("generate", 0.0) for d in dialogues)
    return {
        "attempted": len(dialogues),
        "kept": len(kept),
        "status": dict(Counter(d.status for d in dialogues)),
        "sold": sum(1 for d in kept if d.outcome and d.outcome.bought),
        "discard_reasons": dict(reasons.most_common()),
        "prompt_tokens": sum(d.usage.prompt_tokens for d in dialogues),
        "cached_prompt_tokens": sum(d.usage.cached_tokens for d in dialogues),
        "completion_tokens": sum(d.usage.completion_tokens for d in dialogues),
        "tokens_per_dialogue": round(sum(d.usage.prompt_tokens + d.usage.completion_tokens for d in dialogues) / n),
        "generate_seconds": round(gen_s, 2),
        "judge_seconds": round(sum(d.timing.get("judge", 0.0) for d in dialogues), 2),
        "failed": sum(1 for d in dialogues if d.status == FAILED),
    }


def write_outputs(run: RunDir, wanted: int) -> dict[str, Any]:
    dialogues = sorted(run.dialogues(), key=lambda d: (d.variant, d.index))
    kept = select_kept(dialogues, wanted)
    write_csv(run.file(CSV), kept)
    write_car_dealer(run.file(CAR_DEALER), kept)
    return summarize(dialogues, kept)
