"""Prompt-variant comparison: per-metric means with bootstrap intervals, paired differences (dialogues paired by
index: same persona, product and seed), a paired sign-flip permutation test, and the winner per metric."""
from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from statistics import fmean
from typing import Any

from salesgen.core.dialogue import Dialogue
from salesgen.evaluate.config import Criterion, settings
from salesgen.evaluate.config import criteria as load_criteria
from salesgen.evaluate.measures import dialogue_measures, measure_list
from salesgen.evaluate.stats import bootstrap_ci, holm, paired_permutation_p


def variant_names(dialogues: Sequence[Dialogue], order: Sequence[str] | None = None) -> list[str]:
    seen = list(dict.fromkeys(d.variant for d in dialogues))
    return [v for v in order if v in seen] + [v for v in seen if v not in order] if order else seen


def compare_variants(dialogues: Sequence[Dialogue], order: Sequence[str] | None = None,
                     criteria: Sequence[Criterion] | None = None,
                     band: tuple[int, int] = (50, 75)) -> dict[str, Any] | None:
    """The comparison, or None when the run has fewer than two variants."""
    names = variant_names(dialogues, order)
    if len(names) < 2:
        return None
    cfg = settings()["variants"]
    crit = load_criteria() if criteria is None else criteria
    measures = measure_list(crit)
    # index -> measures, per variant; a re-written id keeps its last record, as RunDir.dialogues does
    table: dict[str, dict[int, dict[str, float | None]]] = {v: {} for v in names}
    for d in dialogues:
        table[d.variant][d.index] = dialogue_measures(d, crit, band)
    pair_list = list(combinations(names, 2))
    results = []
    raw_p: dict[tuple[str, str], list[float | None]] = {pair: [] for pair in pair_list}
    for m in measures:
        per_variant = {}
        for v in names:
            vals = [x[m.name] for x in table[v].values() if x[m.name] is not None]
            per_variant[v] = {"n": len(vals), "mean": fmean(vals) if vals else None,
                              "ci": bootstrap_ci(vals, cfg["bootstrap"], cfg["seed"])}
        comps = []
        for a, b in pair_list:
            common = sorted(set(table[a]) & set(table[b]))
            diffs = [table[b][i][m.name] - table[a][i][m.name] for i in common
                     if table[a][i][m.name] is not None and table[b][i][m.name] is not None]
            p = paired_permutation_p(diffs, cfg["permutations"], cfg["seed"])
            raw_p[(a, b)].append(p)
            comps.append({"a": a, "b": b, "n": len(diffs), "diff": fmean(diffs) if diffs else None,
                          "ci": bootstrap_ci(diffs, cfg["bootstrap"], cfg["seed"]), "p": p})
        results.append({"name": m.name, "label": m.label, "higher_is_better": m.higher_is_better, "unit": m.unit,
                        "per_variant": per_variant, "comparisons": comps})
    # Holm across the metrics of one pair of variants: many metrics make a chance "win" likely otherwise.
    for k, pair in enumerate(pair_list):
        for res, p_adj in zip(results, holm(raw_p[pair]), strict=True):
            comp = res["comparisons"][k]
            comp["p_holm"] = p_adj
            comp["significant"] = p_adj is not None and p_adj < cfg["alpha"]
    for res in results:
        res["winner"] = _winner(res, names)
    return {"variants": names, "metrics": results, "alpha": cfg["alpha"], "pairing": "index",
            "test": (f"Paired sign-flip permutation test on the mean difference ({cfg['permutations']} resamples, "
                     f"two-sided), Holm-adjusted across metrics per pair of variants; 95% percentile bootstrap "
                     f"intervals ({cfg['bootstrap']} resamples)")}


def _better(res: dict[str, Any], comp: dict[str, Any], name: str) -> bool:
    """Did `name` beat the other side of this comparison significantly?"""
    if not comp["significant"] or comp["diff"] is None:
        return False
    b_higher = comp["diff"] > 0
    b_better = b_higher == res["higher_is_better"]
    return (comp["b"] == name) == b_better


def _winner(res: dict[str, Any], names: Sequence[str]) -> str | None:
    """The variant that beats every other one significantly on this metric; None if there is no such variant."""
    for v in names:
        comps = [c for c in res["comparisons"] if v in (c["a"], c["b"])]
        if comps and all(_better(res, c, v) for c in comps):
            return v
    return None
