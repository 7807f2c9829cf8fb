"""The rubric on hand-made dialogues: size and bonus, criteria from judge verdicts, sales, compute, discards."""
from __future__ import annotations

import pytest

from salesgen.core.dialogue import (
    CUSTOMER,
    DISCARDED,
    FAILED,
    KEPT,
    SALESPERSON,
    Dialogue,
    Outcome,
    Persona,
    Product,
    Turn,
    Usage,
    Verdict,
)
from salesgen.evaluate.config import criteria
from salesgen.evaluate.rubric import reason_key, rubric

WORDS60 = " ".join(["word"] * 60)


def _d(i: int, status: str = KEPT, category: str = "car", personality: str = "polite", bought: bool = False,
       verdicts: list[Verdict] | None = None, reasons: list[str] | None = None) -> Dialogue:
    return Dialogue(id=f"d{i}", index=i, status=status, score=0.8 if status == KEPT else 0.5,
                    persona=Persona(id="p", name="", personality=personality, category=category, budget=1),
                    product=Product(id="x", name="X", category=category, price=100.0),
                    turns=[Turn(SALESPERSON, WORDS60, ""), Turn(CUSTOMER, "too short", "")],
                    outcome=Outcome(bought=bought, price=90.0 if bought else None),
                    verdicts=verdicts or [], reasons=reasons or [],
                    usage=Usage(prompt_tokens=1000, completion_tokens=200, calls=4),
                    timing={"generate": 10.0, "judge": 2.0})


def test_data_size_minimum_and_bonus_steps() -> None:
    r = rubric([_d(i) for i in range(125)], {}, criteria())
    assert r["data_size"] == {"kept": 125, "minimum": 100, "meets_minimum": True, "bonus_step": 10,
                              "bonus_steps": 2, "short_by": 0}
    small = rubric([_d(i) for i in range(40)], {}, criteria())["data_size"]
    assert not small["meets_minimum"] and small["short_by"] == 60 and small["bonus_steps"] == 0


def test_criteria_from_verdicts_and_llm_details_tolerating_missing_ones() -> None:
    llm = Verdict("llm_judge", 0.7, details={"accuracy_completeness": {"score": 5, "reason": "ok"},
                                             "toxicity_bias": 3, "coherence_fluency": "n/a"})
    dialogues = [_d(0, verdicts=[Verdict("accuracy", 0.5), llm]), _d(1, verdicts=[Verdict("accuracy", None,
                                                                                            error="boom")])]
    q = {c["name"]: c for c in rubric(dialogues, {}, criteria())["quality"]}
    # accuracy_completeness of d0: mean(accuracy 0.5, llm 5 on 1-5 -> 1.0) = 0.75; d1's failed verdict is skipped.
    assert q["accuracy_completeness"]["kept"]["mean"] == pytest.approx(0.75)
    assert q["accuracy_completeness"]["kept"]["n"] == 1 and q["accuracy_completeness"]["missing_kept"] == 1
    assert q["toxicity_bias"]["kept"]["mean"] == pytest.approx(0.5)  # 3 on 1-5
    assert q["coherence_fluency"]["kept"]["n"] == 0  # a non-numeric detail is not a score
    assert q["creativity_engagement"]["sources"]["engagement"]["n"] == 0


def test_sales_by_category_and_persona_and_format() -> None:
    dialogues = [_d(0, bought=True), _d(1), _d(2, category="laptop", personality="rude", bought=True),
                 _d(3, status=DISCARDED, bought=True)]  # discarded sales do not count
    r = rubric(dialogues, {"config": {"min_words": 50, "max_words": 75}}, criteria())
    s = r["sales"]
    assert (s["sold"], s["rate"]) == (2, pytest.approx(2 / 3))
    assert s["by_category"]["car"] == {"n": 2, "sold": 1, "rate": 0.5}
    assert s["by_persona"]["rude"] == {"n": 1, "sold": 1, "rate": 1.0}
    assert r["format"]["responses_in_band"] == pytest.approx(0.5)  # 60 words yes, 2 words no


def test_compute_time_tokens_and_discards() -> None:
    dialogues = [_d(0), _d(1), _d(2, status=DISCARDED, reasons=["score 0.50 below --min-score 0.7",
                                                               "accuracy veto: wrong price $100"]),
                 _d(3, status=DISCARDED, reasons=["accuracy veto: invented feature"]),
                 _d(4, status=FAILED, reasons=["server error"])]
    r = rubric(dialogues, {}, criteria())
    c = r["compute"]
    assert c["total"]["mean"] == pytest.approx(12.0) and c["generate"]["mean"] == pytest.approx(10.0)
    assert c["seconds_per_kept"] == pytest.approx(5 * 12.0 / 2)  # every attempt's time spread over 2 kept
    assert c["tokens"]["mean"] == pytest.approx(1200) and c["tokens_per_kept"] == pytest.approx(3000)
    d = r["discards"]
    assert d["rate"] == pytest.approx(2 / 5) and d["failed_rate"] == pytest.approx(1 / 5)
    counts = {x["reason"]: x["count"] for x in d["reasons"]}
    assert counts == {"accuracy veto": 2, "score below --min-score": 1, "server error": 1}


def test_reason_keys() -> None:
    assert reason_key("toxicity 0.20: slur in turn 3") == "toxicity scored low"
    assert reason_key("llm_judge error: unparsable reply") == "llm_judge error"


def test_llm_judge_scores_as_the_judge_writes_them() -> None:
    llm = Verdict("llm_judge", 0.6, details={"scores": {"relevance": 4.0, "engagement": 2.0, "accuracy": 1}})
    q = {c["name"]: c for c in rubric([_d(0, verdicts=[llm])], {}, criteria())["quality"]}
    assert q["contextual_relevance"]["kept"]["mean"] == pytest.approx(0.75)
    assert q["creativity_engagement"]["kept"]["mean"] == pytest.approx(0.25)
    assert q["accuracy_completeness"]["kept"]["mean"] == pytest.approx(0.0)
    assert q["toxicity_bias"]["kept"]["n"] == 0


def test_gates_are_counted_apart_from_the_criteria() -> None:
    a, b, c = _d(0), _d(1, status=DISCARDED, reasons=["gate floor (accuracy): turn 7 (salesperson): floor said"]), _d(2)
    a.gates = {"band": True, "floor": True}
    b.gates = {"band": True, "floor": False}
    c.criteria = {"accuracy_completeness": 0.25}  # the panel's own figure wins over the verdicts (none here)
    r = rubric([a, b, c], {}, criteria())
    assert r["gates"] == [{"name": "floor", "judged": 2, "failed": 1,
                           "example": "gate floor (accuracy): turn 7 (salesperson): floor said"},
                          {"name": "band", "judged": 2, "failed": 0, "example": None}]
    acc = next(q for q in r["quality"] if q["name"] == "accuracy_completeness")
    assert acc["kept"]["mean"] == pytest.approx(0.25) and acc["kept"]["n"] == 1
    assert reason_key(b.reasons[0]) == "gate floor failed"
