"""Two runs on the same seed, paired by dialogue index (same persona and product): what changed, and is it more
than chance. `python -m bench.compare_runs RUN_A RUN_B [--labels A B] [--sets]` prints a Markdown table; with
`--sets`, a second one of what only a whole set has: distinct-2 and BERTScore of the kept dialogues against the
human CraigslistBargain cars, sale rate, model calls, tokens and seconds per kept dialogue.

Used for the few-shot hub's effect (`--few-shot 0` against `--few-shot 3`, BENCHMARKS.md §7) and for generator
changes; it reuses the report's variant comparison (bootstrap intervals, paired sign-flip test, Holm).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from bench.pipeline_stats import stats
from salesgen.core.rundir import RunDir
from salesgen.evaluate.bertscore import Scorer, resolve_model, score_set
from salesgen.evaluate.config import reference_sets, settings
from salesgen.evaluate.diversity import diversity
from salesgen.evaluate.references import load_set
from salesgen.evaluate.variants import compare_variants

HUMAN_SET = "craigslist_cars"


def _fmt(x: float | None, unit: str | None) -> str:
    if x is None:
        return "–"
    return f"{x:.0f}" if unit in ("tokens", "s") else f"{x:.3f}"


def compare(a: Path, b: Path, labels: tuple[str, str]) -> str:
    dialogues = []
    for path, label in zip((a, b), labels, strict=True):
        for d in RunDir.open(path).dialogues():
            d.variant = label
            dialogues.append(d)
    res = compare_variants(dialogues, order=list(labels))
    assert res is not None
    counts = {lab: sum(d.variant == lab for d in dialogues) for lab in labels}
    lines = [f"dialogues: {labels[0]} {counts[labels[0]]}, {labels[1]} {counts[labels[1]]}; {res['test']}", "",
             f"| measure | {labels[0]} | {labels[1]} | paired diff (95% CI) | n pairs | p | p (Holm) |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for m in res["metrics"]:
        pv, comp = m["per_variant"], m["comparisons"][0]
        ci = comp["ci"]
        diff = "–" if comp["diff"] is None else (
            f"{comp['diff']:+.3f}" + (f" ({ci[0]:+.3f}, {ci[1]:+.3f})" if ci else ""))
        p = "–" if comp["p"] is None else f"{comp['p']:.3f}"
        ph = "–" if comp["p_holm"] is None else f"{comp['p_holm']:.3f}"
        lines.append(f"| {m['label']} | {_fmt(pv[labels[0]]['mean'], m['unit'])} | "
                     f"{_fmt(pv[labels[1]]['mean'], m['unit'])} | {diff} | {comp['n']} | {p} | {ph} |")
    return "\n".join(lines)


def set_table(runs: list[Path], labels: list[str], reference: str = HUMAN_SET) -> str:
    """Set-level figures of each run's kept dialogues, one column per run."""
    ref = load_set(next(s for s in reference_sets() if s.name == reference))
    scorer = Scorer(resolve_model())
    limit = settings()["bertscore"]["max_candidates"]
    cols = []
    for path in runs:
        ds = [d for d in RunDir.open(path).dialogues() if d.turns]
        kept = [d for d in ds if d.status == "kept"]
        st = stats(path)
        bs = score_set(scorer, kept, ref.dialogues, limit) if kept else {}  # the report's seeded sample

        def f1(role: str, bs=bs) -> str:
            r = bs.get(role, {})
            v = (r.get("rescaled") or {}).get("F") if r.get("n") else None
            return "–" if v is None else f"{v:.3f}"
        div = diversity(kept) if kept else {}
        sold = [d for d in kept if d.outcome is not None and d.outcome.bought]
        cols.append({
            "kept of attempted": f"{len(kept)} of {len(ds)}",
            "distinct-2 (kept, corpus)": "–" if div.get("distinct_2") is None else f"{div['distinct_2']:.3f}",
            f"BERTScore F1 vs {ref.label}, salesperson (rescaled)": f1("salesperson"),
            f"BERTScore F1 vs {ref.label}, customer (rescaled)": f1("customer"),
            "sale rate (kept)": f"{len(sold) / len(kept):.2f}" if kept else "–",
            "mean judge score (all)": str(st["mean judge score"]),
            "model calls per dialogue": str(st["model calls per dialogue"]),
            "generated tokens per dialogue": str(st["generated tokens per dialogue"]),
            "generated tokens per word kept in the turns": str(st["generated tokens per word kept in the turns"]),
            "wall seconds per kept dialogue": str(st["wall seconds per kept dialogue"]),
        })
    lines = ["| measure | " + " | ".join(labels) + " |", "| --- |" + " --- |" * len(labels)]
    lines += [f"| {k} | " + " | ".join(c[k] for c in cols) + " |" for k in cols[0]]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run_a", type=Path)
    ap.add_argument("run_b", type=Path)
    ap.add_argument("--labels", nargs=2, default=None, metavar=("A", "B"))
    ap.add_argument("--sets", action="store_true", help="also the set-level table (BERTScore takes a minute)")
    ns = ap.parse_args()
    labels = tuple(ns.labels) if ns.labels else (ns.run_a.name, ns.run_b.name)
    print(compare(ns.run_a, ns.run_b, labels))  # type: ignore[arg-type]
    if ns.sets:
        print()
        print(set_table([ns.run_a, ns.run_b], list(labels)))


if __name__ == "__main__":
    main()
