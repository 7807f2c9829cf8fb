"""The run's final files, rebuilt from dialogues.jsonl so they are the same after a resume."""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from salesgen.core.dialogue import FAILED, KEPT, Dialogue
from salesgen.core.exports import DEFAULT_FORMATS, EXPORTS
from salesgen.core.rundir import DISCARDED, RunDir, write_atomic


@dataclass
class Brief:
    """What the summary and the selection need of one dialogue record; the record itself stays on disk."""

    id: str
    variant: str
    index: int
    status: str
    category: str | None  # of the product in play
    score: float | None
    reasons: list[str]
    sold: bool
    prompt_tokens: int
    cached_tokens: int
    completion_tokens: int
    generate_seconds: float
    judge_seconds: float
    offset: int  # of the record in dialogues.jsonl

    @classmethod
    def of(cls, rec: dict[str, Any], offset: int) -> Brief:
        usage, timing, outcome = rec.get("usage") or {}, rec.get("timing") or {}, rec.get("outcome") or {}
        return cls(id=rec["id"], variant=rec.get("variant", ""), index=int(rec.get("index", 0)),
                   status=rec.get("status", ""), category=(rec.get("product") or {}).get("category"),
                   score=rec.get("score"), reasons=list(rec.get("reasons") or []),
                   sold=bool(outcome.get("bought")), prompt_tokens=int(usage.get("prompt_tokens") or 0),
                   cached_tokens=int(usage.get("cached_tokens") or 0),
                   completion_tokens=int(usage.get("completion_tokens") or 0),
                   generate_seconds=float(timing.get("generate") or 0.0),
                   judge_seconds=float(timing.get("judge") or 0.0), offset=offset)


def select_kept(dialogues: list[Any], wanted: int) -> list[Any]:
    """Per variant, the first `wanted` kept dialogues by index: independent of completion order."""
    out: list[Any] = []
    for variant in dict.fromkeys(d.variant for d in dialogues):
        kept = sorted((d for d in dialogues if d.variant == variant and d.status == KEPT), key=lambda d: d.index)
        out += kept[:wanted]
    return out


def reason_kind(reason: str) -> str:
    """Group reasons by what failed, not by their figures: "repetition 0.17 below its floor 0.5: ..." → "repetition
    below floor"."""
    head = reason.split(":", 1)[0]
    name = head.split()[0] if head.split() else head
    if name in ("generation", "judge"):
        return f"{name} failed"
    if name == "score":
        return "score below --min-score"
    if name == "gate" and len(head.split()) > 1:
        return f"gate {head.split()[1]} failed"
    for marker, kind in ((" veto", "veto"), ("below its floor", "below floor"), (" error", "error")):
        if marker in head:
            return f"{name} {kind}"
    return f"{name} low"


def summarize(dialogues: list[Brief], kept: list[Brief]) -> dict[str, Any]:
    reasons: Counter[str] = Counter()
    for d in dialogues:
        if d.status != KEPT:
            reasons.update({reason_kind(r) for r in d.reasons} or {"unspecified"})
    n = len(dialogues) or 1
    return {
        "attempted": len(dialogues),
        "kept": len(kept),
        "status": dict(Counter(d.status for d in dialogues)),
        "sold": sum(1 for d in kept if d.sold),
        "discard_reasons": dict(reasons.most_common()),
        "prompt_tokens": sum(d.prompt_tokens for d in dialogues),
        "cached_prompt_tokens": sum(d.cached_tokens for d in dialogues),
        "completion_tokens": sum(d.completion_tokens for d in dialogues),
        "tokens_per_dialogue": round(sum(d.prompt_tokens + d.completion_tokens for d in dialogues) / n),
        "generate_seconds": round(sum(d.generate_seconds for d in dialogues), 2),
        "judge_seconds": round(sum(d.judge_seconds for d in dialogues), 2),
        "failed": sum(1 for d in dialogues if d.status == FAILED),
    }


def _load(run: RunDir, briefs: Iterable[Brief]) -> Iterator[Dialogue]:
    for b in briefs:  # one record in memory at a time
        yield run.dialogue_at(b.offset)


def write_outputs(run: RunDir, wanted: int, formats: Iterable[str] = DEFAULT_FORMATS,
                  manifest: dict[str, Any] | None = None) -> dict[str, Any]:
    """The export files of `formats` (core/exports.py) and discarded.jsonl; returns the run's summary."""
    # Streamed: a brief per dialogue in memory, never every dialogue (runs of 10,000+ dialogues).
    latest: dict[str, Brief] = {}
    for offset, rec in run.scan():
        b = Brief.of(rec, offset)
        latest[b.id] = b  # the last record wins if an id was written twice
    dialogues = sorted(latest.values(), key=lambda d: (d.variant, d.index))
    kept = select_kept(dialogues, wanted)
    summary = summarize(dialogues, kept)
    info = {"manifest": manifest or {}, "summary": summary}
    for name in formats:
        EXPORTS[name].write(run.path, lambda: _load(run, kept), info)
    # discarded.jsonl is appended after dialogues.jsonl during the run, so a kill between the two writes can leave
    # it one record short: rebuild it from the source of truth.
    write_atomic(run.file(DISCARDED), "".join(
        json.dumps({"id": d.id, "index": d.index, "variant": d.variant, "status": d.status, "score": d.score,
                    "reasons": d.reasons}, ensure_ascii=False) + "\n" for d in dialogues if d.status != KEPT))
    return summary
