"""The embedded llama.cpp server with the real tiny model, through OpenAIChat: text, usage, JSON schema, slots."""

from __future__ import annotations

import json
import urllib.request

from salesgen.llm.base import LLAMA_CPP
from salesgen.llm.embedded import EmbeddedServer
from salesgen.llm.openai_chat import OpenAIChat

SYSTEM = "You are a friendly salesperson at a car dealership. Answer in one or two sentences."

DECISION = {
    "type": "object",
    "properties": {
        "bought": {"type": "boolean"},
        "product": {"type": "string", "enum": ["sedan", "suv", "pickup"]},
        "price": {"type": ["number", "null"]},
    },
    "required": ["bought", "product", "price"],
    "additionalProperties": False,
}


def _chat(server: EmbeddedServer) -> OpenAIChat:
    return OpenAIChat(server.openai_base_url, "tiny", abilities=LLAMA_CPP, n_slots=2, timeout=120)


def test_server_is_on_loopback_and_healthy(embedded_tiny: EmbeddedServer) -> None:
    assert embedded_tiny.base_url.startswith("http://127.0.0.1:")
    with urllib.request.urlopen(embedded_tiny.base_url + "/health", timeout=5) as r:
        assert json.loads(r.read())["status"] == "ok"
    slots = embedded_tiny.slots()
    assert len(slots) == 2 and all(s["n_ctx"] == 2048 for s in slots)


async def test_completion_returns_text_and_usage(embedded_tiny: EmbeddedServer) -> None:
    async with _chat(embedded_tiny) as chat:
        c = await chat.complete(
            [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "Hello, I need a family car."}],
            max_tokens=40,
            seed=7,
        )
    assert c.text.strip()
    assert c.usage.prompt_tokens > 10 and 0 < c.usage.completion_tokens <= 40
    assert c.usage.calls == 1 and c.usage.seconds > 0
    assert c.finish_reason in ("stop", "length")


async def test_json_schema_output_parses_and_matches(embedded_tiny: EmbeddedServer) -> None:
    msgs = [
        {"role": "system", "content": "You decide whether the customer bought a car. Reply with JSON only."},
        {"role": "user", "content": "The customer bought the SUV for 31000 dollars. Give the decision."},
    ]
    async with _chat(embedded_tiny) as chat:
        c = await chat.complete(msgs, max_tokens=60, json_schema=DECISION, temperature=0.0)
    doc = json.loads(c.text)
    assert set(doc) == {"bought", "product", "price"}
    assert isinstance(doc["bought"], bool)
    assert doc["product"] in ("sedan", "suv", "pickup")
    assert doc["price"] is None or isinstance(doc["price"], int | float)


async def test_same_slot_reuses_the_cached_prefix(embedded_tiny: EmbeddedServer) -> None:
    history = [
        {"role": "system", "content": SYSTEM + " The dealership sells sedans, SUVs and pickups from three brands."},
        {"role": "user", "content": "Hi, I am looking for a reliable car for my daughter who just got her licence."},
    ]
    async with _chat(embedded_tiny) as chat:
        first = await chat.complete(history, max_tokens=30, slot=1, seed=1)
        history += [
            {"role": "assistant", "content": first.text},
            {"role": "user", "content": "What would you recommend under twenty thousand dollars?"},
        ]
        second = await chat.complete(history, max_tokens=30, slot=1, seed=1)
    assert second.usage.prompt_tokens > first.usage.prompt_tokens
    # At least the whole first prompt was served from slot 1's KV cache, not processed again.
    assert second.usage.cached_tokens >= first.usage.prompt_tokens - 1
    assert second.usage.cached_tokens < second.usage.prompt_tokens
