"""The fault-injection server: deterministic plausible text, schema-valid JSON, configured faults, stats."""

from __future__ import annotations

import json
import random
import urllib.request
from typing import Any

import pytest

from salesgen.llm.openai_chat import OpenAIChat
from salesgen.llm.retry import RetryPolicy
from tools.fault_server import FaultConfig, fault_server_process, make_text, sample_schema

MSGS = [{"role": "system", "content": "You are a customer looking for a laptop."}, {"role": "user", "content": "Hi!"}]


def _valid(value: Any, schema: dict[str, Any]) -> bool:
    """Just enough JSON Schema to check what sample_schema claims to support."""
    if "enum" in schema:
        return value in schema["enum"]
    if "anyOf" in schema:
        return any(_valid(value, s) for s in schema["anyOf"])
    types = schema.get("type")
    types = types if isinstance(types, list) else [types]
    checks = {
        "object": lambda v: (
            isinstance(v, dict)
            and set(schema.get("required", [])) <= set(v)
            and all(_valid(v[k], s) for k, s in schema.get("properties", {}).items() if k in v)
        ),
        "array": lambda v: isinstance(v, list) and all(_valid(x, schema.get("items", {})) for x in v),
        "boolean": lambda v: isinstance(v, bool),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "string": lambda v: isinstance(v, str),
        "null": lambda v: v is None,
    }
    ok = any(checks[t](value) for t in types if t in checks)
    if ok and isinstance(value, int | float) and not isinstance(value, bool):
        ok = schema.get("minimum", -1e18) <= value <= schema.get("maximum", 1e18)
    return ok


SCHEMAS = [
    {
        "type": "object",
        "properties": {
            "bought": {"type": "boolean"},
            "product_id": {"anyOf": [{"type": "string", "enum": ["car-1", "car-2"]}, {"type": "null"}]},
            "price": {"type": ["number", "null"], "minimum": 1000, "maximum": 90000},
            "reasons": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
            "count": {"type": "integer", "minimum": 1, "maximum": 5},
        },
        "required": ["bought", "product_id", "price"],
    },
    {"type": "object", "properties": {"score": {"type": "number", "minimum": 0, "maximum": 1}}, "required": ["score"]},
]


@pytest.mark.parametrize("schema", SCHEMAS)
def test_sampled_documents_validate(schema: dict[str, Any]) -> None:
    for seed in range(200):
        doc = sample_schema(schema, random.Random(seed))
        assert _valid(doc, schema), doc


def test_text_is_55_to_70_words_and_deterministic() -> None:
    for seed in range(300):
        text = make_text(random.Random(seed), buyer=seed % 2 == 0)
        assert 55 <= len(text.split()) <= 70 and text.endswith((".", "?", "!"))
    assert make_text(random.Random(5), True) == make_text(random.Random(5), True)


async def test_replies_are_seeded_from_the_request(fault_server) -> None:
    srv = fault_server()
    async with OpenAIChat(srv.url, "m") as chat:
        a = await chat.complete(MSGS, max_tokens=200)
        b = await chat.complete(MSGS, max_tokens=200)
        c = await chat.complete(MSGS + [{"role": "user", "content": "And?"}], max_tokens=200)
        d = await chat.complete(MSGS, max_tokens=10)
        j = await chat.complete(MSGS, max_tokens=200, json_schema=SCHEMAS[0])
    assert a.text == b.text != c.text
    assert 55 <= len(a.text.split()) <= 70 and a.usage.completion_tokens > 0 and a.usage.prompt_tokens > 0
    assert d.finish_reason == "length" and len(d.text.split()) < 10
    assert _valid(json.loads(j.text), SCHEMAS[0])


async def test_empty_and_garbled_replies_reach_the_caller(fault_server) -> None:
    srv = fault_server(script=["empty", "garbled", "garbled"])
    async with OpenAIChat(srv.url, "m") as chat:
        empty = await chat.complete(MSGS, max_tokens=200)
        garbled = await chat.complete(MSGS, max_tokens=200)
        bad_json = await chat.complete(MSGS, max_tokens=200, json_schema=SCHEMAS[0])
    assert empty.text == "" and garbled.text and garbled.text != empty.text
    with pytest.raises(json.JSONDecodeError):
        json.loads(bad_json.text)


async def test_fault_rates_are_applied_and_counted(fault_server) -> None:
    srv = fault_server(rate_429=0.3, rate_500=0.2, retry_after="0", seed=3)
    async with OpenAIChat(srv.url, "m", retry=RetryPolicy(max_attempts=30, base_delay=0.001)) as chat:
        for _ in range(20):
            await chat.complete(MSGS, max_tokens=50)
    with urllib.request.urlopen(srv.url.removesuffix("/v1") + "/stats") as r:
        stats = json.loads(r.read())
    assert stats["ok"] == 20
    assert stats["requests"] == stats["ok"] + stats["429"] + stats["500"]
    assert stats["429"] > 0 and stats["500"] > 0
    assert chat.stats.retries == stats["429"] + stats["500"]


def test_runs_as_a_separate_process() -> None:
    with fault_server_process(FaultConfig(latency=0.01, model="proc-model")) as (url, pid):
        with urllib.request.urlopen(url + "/models", timeout=5) as r:
            assert json.loads(r.read())["data"][0]["id"] == "proc-model"
        body = json.dumps({"model": "x", "messages": MSGS, "max_tokens": 200}).encode()
        req = urllib.request.Request(url + "/chat/completions", body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=5) as r:
            reply = json.loads(r.read())
        assert 55 <= len(reply["choices"][0]["message"]["content"].split()) <= 70
    assert pid > 0
