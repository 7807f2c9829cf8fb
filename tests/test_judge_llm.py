"""The LLM judge: a real embedded model answers the rubric; garbage replies are retried once, then an error."""
from __future__ import annotations

import dataclasses

import pytest
from fixtures.loader import HERE, build_twin, clean, shared_panel, twins

from salesgen.core.catalog import Catalog
from salesgen.core.dialogue import KEPT
from salesgen.judge.base import PanelOptions
from salesgen.judge.panel import Panel
from salesgen.llm.base import LLAMA_CPP
from salesgen.llm.openai_chat import OpenAIChat
from salesgen.llm.pinned import PinnedSlot
from salesgen.llm.retry import RetryPolicy
from salesgen.scenarios.sales.judges.llm_judge import LLMRubric, ReplyError

LLM_ONLY = HERE / "weights_llm_only.toml"


def _panel(chat) -> Panel:
    """The full panel, sharing the models the session's rule panel already loaded."""
    return Panel.build(Catalog.load(), PanelOptions(llm=chat, use_llm_judge=True), resources=shared_panel().resources)


def test_rubric_schema_and_parser_reject_out_of_range_scores():
    r = LLMRubric()
    assert r.schema["required"][:5] == r.keys and len(r.keys) == 5
    good = {k: {"reason": "fine", "score": 4} for k in r.keys} | {"unsupported_claims": []}
    import json

    scores, claims = r.parse(json.dumps(good))
    assert scores["accuracy"] == (4, "fine") and claims == []
    for bad in ('{"relevance": ', json.dumps(good | {"accuracy": {"reason": "x", "score": 0}}),
                json.dumps(good | {"engagement": {"reason": "x", "score": "5"}}), "[]"):
        with pytest.raises(ReplyError):
            r.parse(bad)


def test_rubric_prompt_puts_the_fixed_part_first():
    # Everything that is the same for every dialogue (criteria, scale, answer form) is the system message and the
    # dialogue comes last: then the judge's slot serves the fixed part from its cache on every call after the first.
    r = LLMRubric()
    a, b = r.messages(clean("clean_headphones_xm5")), r.messages(clean("clean_car_crv"))
    assert a[0] == b[0] and a[1] != b[1]
    assert all(c["steps"] in a[0]["content"] for c in r.criteria)
    assert not any(c["steps"] in a[1]["content"] for c in r.criteria)
    assert f"up to {r.schema['properties']['unsupported_claims']['maxItems']} salesperson" in a[0]["content"]


async def test_second_judge_call_reuses_the_cached_rubric(embedded_tiny):
    # Two different dialogues judged on one pinned slot of a real server: the second call's prompt is served from
    # the cache up to where the dialogue starts, which must cover the criteria (over 200 tokens on their own).
    rubric = LLMRubric(HERE / "rubric_tiny.toml")
    async with OpenAIChat(embedded_tiny.openai_base_url, "tiny", abilities=LLAMA_CPP, n_slots=2, timeout=300) as chat:
        judge = PinnedSlot(chat, 1)
        calls = []
        for name in ("clean_headphones_xm5", "clean_car_crv"):
            d = clean(name)
            d.turns = d.turns[:2]
            calls.append(await judge.complete(rubric.messages(d), max_tokens=1, temperature=0.0))
    first, second = (c.usage for c in calls)
    # With the criteria after the transcript (the old layout) only the ≈ 65 tokens before the facts were shared.
    assert second.cached_tokens >= 200, (first, second)


async def test_garbage_json_is_retried_once_then_recorded_as_error(fault_server):
    srv = fault_server(script=["garbled", "garbled", "ok"])
    async with OpenAIChat(srv.url, "fault-model", retry=RetryPolicy(max_attempts=1)) as chat:
        panel = _panel(chat)
        d = clean("clean_headphones_xm5")
        await panel.judge(d, 0.7)
    v = next(v for v in d.verdicts if v.judge == "llm_judge")
    assert v.score is None and v.error and "unparsable reply after 2 attempts" in v.error
    assert v.details["raw"]  # the raw reply is kept for inspection
    assert srv.stats["garbled"] == 2 and srv.stats.get("ok", 0) == 0  # exactly one retry, no third call
    # Excluded from the mean: the panel's score equals the score without the LLM judge.
    rules = shared_panel()
    ref = clean("clean_headphones_xm5")
    await rules.judge(ref, 0.7)
    assert d.score == ref.score and d.status == KEPT


async def test_garbled_then_valid_reply_is_scored(fault_server):
    srv = fault_server(script=["garbled", "ok"])
    async with OpenAIChat(srv.url, "fault-model", retry=RetryPolicy(max_attempts=1)) as chat:
        panel = _panel(chat)
        d = clean("clean_car_crv")
        await panel.judge(d, 0.7)
    v = next(v for v in d.verdicts if v.judge == "llm_judge")
    assert v.error is None and 0.0 <= v.score <= 1.0
    assert v.details["attempts"] == 2 and set(v.details["scores"]) == set(LLMRubric().keys)
    assert len(v.evidence) >= 5


async def test_unreachable_model_is_an_error_not_a_score(fault_server):
    srv = fault_server(script=["500"] * 5)
    async with OpenAIChat(srv.url, "fault-model", retry=RetryPolicy(max_attempts=1)) as chat:
        d = clean("clean_laptop_xps")
        await _panel(chat).judge(d, 0.7)
    v = next(v for v in d.verdicts if v.judge == "llm_judge")
    assert v.score is None and v.error.startswith("LLMError")


def test_no_llm_judge_flag_skips_it():
    panel = Panel.build(Catalog.load(), PanelOptions(llm=object(), use_llm_judge=False), load_models=False)
    assert "llm_judge" not in panel.names and "llm_judge" in panel.skipped


async def test_real_tiny_model_answers_the_rubric(embedded_tiny):
    # The 135M model with the small test rubric (short reasons) and a two-turn dialogue: a real, bounded call.
    async with OpenAIChat(embedded_tiny.openai_base_url, "tiny", abilities=LLAMA_CPP, n_slots=2, timeout=300) as chat:
        panel = Panel.build(Catalog.load(), PanelOptions(llm=chat, weights_path=LLM_ONLY))
        d = clean("clean_headphones_xm5")
        d.turns = d.turns[:2]
        await panel.judge(d, 0.7)
        described = panel.describe()
    v = next(v for v in d.verdicts if v.judge == "llm_judge")
    # Schema-constrained output from a real model: it parses, every criterion has a 1-5 score and a reason.
    assert v.error is None, v.error
    assert set(v.details["scores"]) == set(LLMRubric().keys)
    assert all(1 <= s <= 5 for s in v.details["scores"].values())
    assert 0.0 <= v.score <= 1.0 and v.details["usage"]["completion_tokens"] > 0
    assert any(j["name"] == "llm_judge" and j["model"] == "tiny" for j in described["judges"])
    assert dataclasses.asdict(v)  # serialisable for the run directory


async def test_g_eval_samples_are_averaged(fault_server, tmp_path):
    w = tmp_path / "w.toml"
    w.write_text("[judges.llm_judge]\nweight = 1\nparse_retries = 1\nsamples = 3\n")
    srv = fault_server(script=["ok", "garbled", "ok", "ok"])
    async with OpenAIChat(srv.url, "fault-model", retry=RetryPolicy(max_attempts=1)) as chat:
        panel = Panel.build(Catalog.load(), PanelOptions(llm=chat, weights_path=w))
        d = clean("clean_laptop_xps")
        await panel.judge(d, 0.7)
    v = d.verdicts[0]
    assert v.error is None and v.details["samples"] == 3 and v.details["attempts"] == 4
    assert len(v.details["parse_errors"]) == 1
    temps = {b["temperature"] for b in srv.recent}
    assert temps == {0.7}  # sampled, not greedy, when averaging
    assert d.score == v.score


async def test_rules_discard_first_then_the_llm_judge_is_not_asked(fault_server):
    # A contradicted price vetoes: the LLM judge could not keep the dialogue, so by default it is not called.
    twin = next(t for t in twins() if t["id"] == "car_wrong_price")
    srv = fault_server(script=["ok"] * 4)
    async with OpenAIChat(srv.url, "fault-model", retry=RetryPolicy(max_attempts=1)) as chat:
        d, _ = build_twin(twin)
        await _panel(chat).judge(d, 0.7)
        v = next(v for v in d.verdicts if v.judge == "llm_judge")
        assert v.score is None and v.error is None and v.details == {"skipped": True}
        assert "gate floor (accuracy)" in v.reason and srv.stats["requests"] == 0
        assert d.status != KEPT and not any(r.startswith("llm_judge") for r in d.reasons)
        # --llm-judge-all: the same dialogue gets the LLM judge's verdict too, and is still discarded.
        full = Panel.build(Catalog.load(), PanelOptions(llm=chat, cascade=False), resources=shared_panel().resources)
        d2, _ = build_twin(twin)
        await full.judge(d2, 0.7)
    v2 = next(v for v in d2.verdicts if v.judge == "llm_judge")
    assert v2.score is not None and srv.stats["requests"] == 1 and d2.status != KEPT
