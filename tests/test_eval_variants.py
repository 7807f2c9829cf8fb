"""Variant statistics: a known difference is significant with the right winner; no difference is not."""
from __future__ import annotations

import random

import pytest

from salesgen.core.dialogue import KEPT, Dialogue, Persona, Verdict
from salesgen.evaluate.stats import bootstrap_ci, holm, paired_permutation_p
from salesgen.evaluate.variants import compare_variants


def _d(index: int, variant: str, score: float) -> Dialogue:
    return Dialogue(id=f"{variant}-{index}", index=index, variant=variant, status=KEPT, score=score,
                    persona=Persona(id="p", name="", personality="polite", category="car", budget=1),
                    product=None, verdicts=[Verdict("engagement", score)])


def _run(shift: float, n: int = 40, seed: int = 1) -> list[Dialogue]:
    rng = random.Random(seed)
    base = [rng.uniform(0.4, 0.9) for _ in range(n)]
    noise = [rng.gauss(0, 0.02) for _ in range(n)]
    return [_d(i, "a", base[i]) for i in range(n)] + [_d(i, "b", base[i] + shift + noise[i]) for i in range(n)]


def _metric(result: dict, name: str) -> dict:
    return next(m for m in result["metrics"] if m["name"] == name)


def test_known_difference_is_significant_and_b_wins() -> None:
    res = compare_variants(_run(shift=0.05))
    score = _metric(res, "score")
    comp = score["comparisons"][0]
    assert (comp["a"], comp["b"], comp["n"]) == ("a", "b", 40)
    assert comp["diff"] == pytest.approx(0.05, abs=0.01)
    assert comp["ci"][0] > 0 and comp["p"] < 0.001 and comp["significant"]
    assert score["winner"] == "b"
    assert _metric(res, "creativity_engagement")["winner"] == "b"  # engagement verdict feeds that criterion
    lo, hi = score["per_variant"]["b"]["ci"]
    assert lo < score["per_variant"]["b"]["mean"] < hi


def test_no_difference_has_no_winner() -> None:
    rng = random.Random(3)
    dialogues = [_d(i, v, rng.uniform(0.4, 0.9)) for i in range(40) for v in ("a", "b")]
    score = _metric(compare_variants(dialogues), "score")
    comp = score["comparisons"][0]
    assert comp["ci"][0] < 0 < comp["ci"][1]
    assert comp["p"] > 0.05 and not comp["significant"] and score["winner"] is None


def test_lower_is_better_metrics_pick_the_cheaper_variant() -> None:
    dialogues = _run(shift=0.0)
    for d in dialogues:
        d.usage.prompt_tokens, d.usage.calls = (1000 if d.variant == "a" else 700) + d.index, 1
    assert _metric(compare_variants(dialogues), "tokens")["winner"] == "b"


def test_pairs_only_indices_present_in_both_and_single_variant_is_none() -> None:
    dialogues = _run(shift=0.05, n=30)
    dialogues = [d for d in dialogues if not (d.variant == "b" and d.index >= 20)]
    assert _metric(compare_variants(dialogues), "score")["comparisons"][0]["n"] == 20
    assert compare_variants([d for d in dialogues if d.variant == "a"]) is None


def test_stats_helpers() -> None:
    assert paired_permutation_p([0.0] * 10) == 1.0
    assert paired_permutation_p([1.0] * 12) < 0.001  # every sign flip but the observed one is smaller
    assert bootstrap_ci([5.0]) is None
    assert holm([0.01, 0.04, None, 0.03]) == [pytest.approx(0.03), pytest.approx(0.06), None, pytest.approx(0.06)]
