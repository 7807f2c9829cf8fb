"""The panel: weights file, gates, the quality score from the criteria, judge errors, models loaded once, describe()."""
from __future__ import annotations

import asyncio

import pytest
from fixtures.loader import build_twin, clean, shared_panel, twins

from salesgen.core.catalog import Catalog
from salesgen.core.dialogue import DISCARDED, KEPT, Gate, Verdict
from salesgen.core.errors import InputError
from salesgen.judge.base import PanelOptions, registry
from salesgen.judge.panel import DEFAULT_WEIGHTS, Panel, load_weights
from salesgen.judge.resources import Resources


@pytest.fixture(scope="module")
def panel():
    return shared_panel()


def test_every_judge_in_the_weights_file_is_registered_and_vice_versa():
    _, tables = load_weights(DEFAULT_WEIGHTS)
    assert set(tables) == set(registry())
    assert {"word_count", "exchange_count", "repetition", "role_leakage", "garbled", "decision", "accuracy",
            "toxicity", "coherence", "fluency", "engagement", "sale_success", "llm_judge"} <= set(tables)


@pytest.mark.parametrize("text, message", [
    ("[judges.nope]\nweight = 1\n", "unknown judge 'nope'"),
    ("[judges.word_count]\nweight = -1\n", "needs a weight >= 0"),
    ("[judges.word_count]\n", "needs a weight >= 0"),
    ("weight = 1\n", "at least one [judges.NAME]"),
    ("[judges.word_count\n", "not valid TOML"),
])
def test_bad_weights_files_are_one_sentence_input_errors(tmp_path, text, message):
    f = tmp_path / "w.toml"
    f.write_text(text)
    with pytest.raises(InputError, match=message.replace("[", r"\[").replace(".", r"\.")):
        Panel.build(Catalog.load(), PanelOptions(weights_path=f), load_models=False)


def test_missing_weights_file(tmp_path):
    with pytest.raises(InputError, match="cannot be read"):
        load_weights(tmp_path / "absent.toml")


def test_disabled_and_zero_weight_judges(tmp_path):
    f = tmp_path / "w.toml"
    f.write_text("[judges.repetition]\nweight = 1\n[judges.decision]\nweight = 0\n"
                 "[judges.garbled]\nweight = 1\nenabled = false\n")
    p = Panel.build(Catalog.load(), PanelOptions(weights_path=f), load_models=False)
    assert p.names == ["repetition", "decision"] and "garbled" in p.skipped
    d = clean("clean_car_crv")
    asyncio.run(p.judge(d, 0.7))
    by = {v.judge: v for v in d.verdicts}
    # decision feeds contextual relevance with weight 0: recorded, not counted; repetition is the only criterion.
    assert d.criteria == {"coherence_fluency": by["repetition"].score} and d.score == by["repetition"].score
    assert d.status == KEPT and d.gates == {"decision": True, "floor": True}
    d.outcome = None  # a gate is not weighted: weight 0 does not stop a missing decision discarding
    asyncio.run(p.judge(d, 0.7))
    assert d.status == DISCARDED and d.gates["outcome"] is False
    assert d.reasons[0] == "gate outcome (decision): outcome: missing"


def test_quality_is_the_mean_of_the_criteria_and_a_failed_gate_discards(panel):
    d = clean("clean_car_crv")
    verdicts = [Verdict("fluency", 1.0), Verdict("accuracy", 0.5), Verdict("coherence", None, error="boom")]
    panel.combine(d, verdicts, 0.0)
    # fluency feeds coherence_fluency, accuracy feeds accuracy_completeness; the failed coherence counts nowhere.
    assert d.criteria == {"coherence_fluency": 1.0, "accuracy_completeness": 0.5}
    assert d.score == pytest.approx(0.75) and d.status == KEPT
    failed = Verdict("toxicity", 0.9, reason="stereotype", veto=True,
                     gates=[Gate("toxicity", False, ["turn 3 (salesperson): stereotype"]), Gate("abuse", True)])
    panel.combine(d, verdicts + [failed], 0.0)
    assert d.status == DISCARDED and d.gates == {"toxicity": False, "abuse": True}
    assert d.reasons[0] == "gate toxicity (toxicity): turn 3 (salesperson): stereotype"
    assert "coherence error: boom" in d.reasons  # a judge error is named, not scored
    panel.combine(d, [Verdict("coherence", None, error="boom")], 0.5)
    assert d.score is None and d.status == DISCARDED and "no judge produced a score" in d.reasons


def test_discard_reasons_name_the_weak_criteria(panel):
    twin = next(t for t in twins() if t["id"] == "car_off_topic")
    d, _ = build_twin(twin)
    asyncio.run(panel.judge(d, 0.99))
    assert d.status == DISCARDED
    assert d.reasons[0].startswith("score ") and "below --min-score 0.99" in d.reasons[0]
    assert any(r.startswith("coherence ") for r in d.reasons)


def test_judge_fills_every_field_and_timing(panel):
    d = clean("clean_laptop_xps")
    asyncio.run(panel.judge(d, 0.7))
    assert [v.judge for v in d.verdicts] == panel.names
    assert d.status == KEPT and d.reasons == [] and 0 < d.score <= 1 and d.timing["judge"] > 0
    for v in d.verdicts:
        assert v.score is not None and 0 <= v.score <= 1 and v.reason


def test_a_crashing_judge_is_an_error_verdict_not_a_lost_dialogue(panel, monkeypatch):
    judge = next(e.judge for e in panel.entries if e.judge.name == "engagement")
    monkeypatch.setattr(judge, "judge", lambda d: 1 / 0)
    d = clean("clean_car_crv")
    asyncio.run(panel.judge(d, 0.7))
    v = next(v for v in d.verdicts if v.judge == "engagement")
    assert v.score is None and v.error.startswith("ZeroDivisionError") and d.status == KEPT


def test_models_load_once_per_panel_and_concurrent_judging_is_safe():
    loads = []

    class Counting(Resources):
        def _load_embedder(self):
            loads.append("embedder")
            return super()._load_embedder()

    res = Counting(extra_words=[])
    p = Panel.build(Catalog.load(), PanelOptions(use_llm_judge=False), resources=res)
    ds = [build_twin(t)[0] for t in twins()[:12]]

    async def run():
        await asyncio.gather(*(p.judge(d, 0.7) for d in ds))

    asyncio.run(run())
    assert loads == ["embedder"]
    assert all(v.error is None for d in ds for v in d.verdicts), [v.error for d in ds for v in d.verdicts if v.error]


def test_describe_names_judges_weights_and_model_hashes(panel):
    info = panel.describe()
    assert [j["name"] for j in info["judges"]] == panel.names
    assert len(info["weights_sha256"]) == 64
    assert len(info["models"]["embedder"]["sha256"]) == 64
    assert info["models"]["toxicity"]["model"] == "alt-profanity-check"
    assert info["skipped"]["llm_judge"] == "turned off (--no-llm-judge)"
    assert info["options"]["min_words"] == 50


def test_a_score_below_its_floor_discards_whatever_the_mean(tmp_path):
    f = tmp_path / "w.toml"
    f.write_text("[judges.repetition]\nweight = 1\nfloor = 0.5\n[judges.garbled]\nweight = 9\n")
    p = Panel.build(Catalog.load(), PanelOptions(weights_path=f), load_models=False)
    d = clean("clean_car_crv")
    p.combine(d, [Verdict("repetition", 0.4, reason="loops"), Verdict("garbled", 1.0)], 0.7)
    assert d.score == pytest.approx(0.94) and d.status == DISCARDED  # one criterion, weighted 1:9
    assert d.reasons == ["repetition 0.40 below its floor 0.5: loops"]
    p.combine(d, [Verdict("repetition", 0.5, reason="some"), Verdict("garbled", 1.0)], 0.7)
    assert d.status == KEPT


def test_a_floor_outside_0_1_is_an_input_error(tmp_path):
    f = tmp_path / "w.toml"
    f.write_text("[judges.repetition]\nweight = 1\nfloor = 1.5\n")
    with pytest.raises(InputError, match="floor must be between 0 and 1"):
        load_weights(f)
