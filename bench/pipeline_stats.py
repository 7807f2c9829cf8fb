"""Where a run's time and tokens went, from its dialogues.jsonl: `python -m bench.pipeline_stats RUN_DIR`.

`--since ISO_TIME` keeps the dialogues started from then on (one session of a resumed run); their wall time is
then from that time to the last of them to finish.
"""
from __future__ import annotations

import argparse
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from statistics import mean

from salesgen.core.catalog import DEFAULT_CATALOG, Catalog
from salesgen.core.mentions import ProductIndex, product_index
from salesgen.core.rundir import RunDir
from salesgen.core.words import PLACEHOLDER, count_words
from salesgen.scenarios.sales.decisions import NO, UNCLEAR, YES, decision_words
from salesgen.scenarios.sales.personas import DEFAULT_CONFIG, load_persona_config
from salesgen.scenarios.sales.policy import floor_of


def slotted(d) -> bool:
    return any(PLACEHOLDER.search(t.text) for t in d.turns)


def split(ds, key) -> str:
    """'a / b / c (kept: x / y / z)' for the values of `key` over all dialogues and over the kept ones."""
    def count(sub) -> str:
        return " / ".join(str(sum(key(d) == v for d in sub)) for v in (YES, NO, UNCLEAR))
    return f"{count(ds)} (kept: {count([d for d in ds if d.status == 'kept'])})"


def _copies(d, role: str, index: ProductIndex, n: int = 6) -> int:
    """Lines of `role` sharing an n-word run with the other side's line just before, once what both sides may say
    is taken out (product names, the customer's needs, features, amounts): the seller saying the customer's words
    back ("the gym doesn't suit me") or the customer the seller's pitch."""
    said = [d.persona.needs or "", *d.persona.preferred_features, *(d.product.features if d.product else [])]

    def runs(text: str) -> set[tuple[str, ...]]:
        for m in reversed(index.find(text)):
            text = text[:m.start] + " | " + text[m.end:]
        for x in sorted(filter(None, said), key=len, reverse=True):
            text = re.sub(rf"(?<!\w){re.escape(x)}(?!\w)", " | ", text, flags=re.I)
        words = re.sub(r"\$[\d,.]+", " | ", text.lower())
        words = re.findall(r"[a-z0-9|']+", words)
        return {tuple(words[i:i + n]) for i in range(len(words) - n + 1) if "|" not in words[i:i + n]}
    return sum(1 for a, b in zip(d.turns, d.turns[1:], strict=False)
               if b.role == role and a.role != role and runs(a.text) & runs(b.text))


def when(iso: str) -> datetime:
    t = datetime.fromisoformat(iso)
    return t if t.tzinfo else t.replace(tzinfo=UTC)  # a time given without a zone is UTC, as the records are


def _out_of_bounds(ds, manifest: dict) -> str:
    """'a / b': sales above what the persona may pay, and below the product's lowest allowed price."""
    cfg = load_persona_config(manifest["config"].get("personas") or DEFAULT_CONFIG)
    sold = [d for d in ds if d.outcome is not None and d.outcome.bought and d.outcome.price is not None]
    over = sum(d.outcome.price > cfg.budget_limit(d.persona) + 0.01 for d in sold)
    under = sum(d.product is not None and d.product.id == d.outcome.product_id
                and d.outcome.price < floor_of(d.product) - 0.01 for d in sold)
    return f"{over} / {under} (of {len(sold)} sales)"


def stats(run_dir: Path, since: str = "") -> dict[str, float | str]:
    ds = [d for d in RunDir.open(run_dir).dialogues() if d.turns and (not since or when(d.started) >= when(since))]
    turns = [t for d in ds for t in d.turns]
    n = len(ds) or 1
    prompt = sum(d.usage.prompt_tokens for d in ds)
    cached = sum(d.usage.cached_tokens for d in ds)
    gen = sum(d.usage.completion_tokens for d in ds)
    gen_s = sum(d.timing.get("generate", 0.0) for d in ds)
    judge_s = sum(d.timing.get("judge", 0.0) for d in ds)
    m = json.loads((run_dir / "manifest.json").read_text())
    timings = m.get("timings", {})  # every session of a resumed run when all were timed, else the last one
    wall = timings.get("total") or timings.get("last_session_seconds") or 0.0
    if since and ds:
        wall = (max(when(d.finished) for d in ds) - when(since)).total_seconds()
    kept = sum(d.status == "kept" for d in ds)
    where = Path(m["config"].get("catalog") or DEFAULT_CATALOG)
    index = product_index(Catalog.load(where if where.is_file() else DEFAULT_CATALOG))
    lo, hi = m["config"]["min_words"], m["config"]["max_words"]
    in_band = sum(lo <= count_words(t.text) <= hi for t in turns)
    llm_runs = sum(1 for d in ds for v in d.verdicts if v.judge == "llm_judge" and not v.details.get("skipped"))
    return {
        "dialogues": len(ds), "kept": kept, "turns per dialogue": round(len(turns) / n, 1),
        "model calls per dialogue": round(sum(d.usage.calls for d in ds) / n, 1),
        "generations per turn": round(mean(t.attempts for t in turns), 2) if turns else 0,
        "turns continued once (short line extended)": round(sum("extended" in t.notes for t in turns)
                                                            / (len(turns) or 1), 3),
        "continuations refused (a restatement or no new words; recorded since §2f)":
            sum("extension_refused" in t.notes for t in turns),
        "turns within the word band": round(in_band / (len(turns) or 1), 3),
        "turns resampled under the minimum after a short try (recorded since §2i)":
            sum("held_to_minimum" in t.notes for t in turns),
        "turns with a name slot filled": sum("placeholder_filled" in t.notes for t in turns),
        "dialogues with an unfilled template slot (kept)": f"{sum(slotted(d) for d in ds)} "
                                                           f"({sum(slotted(d) and d.status == 'kept' for d in ds)})",
        # Read again from the words, so that runs from before the simulator recorded it compare too.
        "customer's last lines say yes / no / neither": split(ds, lambda d: decision_words().said(d.turns).words),
        "decision recorded bought / not bought / none": split(
            ds, lambda d: {True: YES, False: NO}.get(d.outcome.bought if d.outcome else None, UNCLEAR)),
        "sales over the persona's limit (budget, or its stretch) / under the floor": _out_of_bounds(ds, m),
        "lines sharing 6 words with the other side's line before (salesperson / customer, kept)": " / ".join(
            str(sum(_copies(d, r, index) for d in ds if d.status == "kept")) for r in ("salesperson", "customer")),
        "dialogues closed after a stall": sum("stalled" in d.extra for d in ds),
        "closing lines resampled for a yes or no / still without one":
            " / ".join(str(sum(note in t.notes for t in turns)) for note in ("decision_regenerated", "decision_unmet")),
        "mean judge score": round(mean(d.score for d in ds if d.score is not None), 3)
        if any(d.score is not None for d in ds) else float("nan"),
        "LLM judge runs per dialogue": round(llm_runs / n, 2),
        "prompt tokens per dialogue (sent)": round(prompt / n),
        "prompt tokens per dialogue (processed, after the slot cache)": round((prompt - cached) / n),
        "prompt cache hit rate": round(cached / prompt, 3) if prompt else 0,
        "generated tokens per dialogue": round(gen / n),
        # Goodput: every generated token that did not end up in a line (resamples, trimmed tails, refused
        # continuations) raises this; a line kept as generated costs about 1.3 tokens a word on Qwen2.5.
        "generated tokens per word kept in the turns": round(sum(t.usage.completion_tokens for t in turns)
                                                             / (sum(count_words(t.text) for t in turns) or 1), 2),
        "generation seconds per dialogue (in flight)": round(gen_s / n, 1),
        "judge seconds per dialogue (in flight)": round(judge_s / n, 1),
        # No wall time when the last session was killed before writing its timings: nan, not a fast-looking 0.
        "wall seconds per attempted dialogue": round(wall / n, 1) if wall else float("nan"),
        "wall seconds per kept dialogue": round(wall / kept, 1) if kept and wall else float("nan"),
        "aggregate generated tokens/s (wall)": round(gen / wall, 1) if wall else float("nan"),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("run_dir", type=Path)
    p.add_argument("--since", default="", help="only dialogues started at or after this ISO time (UTC if no zone)")
    a = p.parse_args()
    for k, v in stats(a.run_dir, a.since).items():
        print(f"| {k} | {v} |")


if __name__ == "__main__":
    main()
