"""Two runs on the same seed, paired by dialogue index (same persona and product): what changed, and is it more
than chance. `python -m bench.compare_runs RUN_A RUN_B [--labels A B]` prints a Markdown table.

Used for the few-shot hub's effect (`--few-shot 0` against `--few-shot 3`, BENCHMARKS.md §7) and for generator
changes; it reuses the report's variant comparison (bootstrap intervals, paired sign-flip test, Holm).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from core.rundir import RunDir
from evaluate.variants import compare_variants


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run_a", type=Path)
    ap.add_argument("run_b", type=Path)
    ap.add_argument("--labels", nargs=2, default=None, metavar=("A", "B"))
    ns = ap.parse_args()
    labels = tuple(ns.labels) if ns.labels else (ns.run_a.name, ns.run_b.name)
    print(compare(ns.run_a, ns.run_b, labels))  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
