"""The one chat-model interface every stage uses; backends live beside it, one per file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from salesgen.core.dialogue import Usage


@dataclass
class Completion:
    text: str
    usage: Usage
    finish_reason: str | None = None
    attempts: int = 1  # HTTP attempts this completion took (retries + 1)


class LLMError(Exception):
    """A call that still failed after the bounded retries; the message names the cause in one sentence."""


# What a server can do beyond the OpenAI chat protocol, as its backend declares it (llm/backends/). The stages ask
# a model for an ability, never which backend it is.
GRAMMAR = "grammar"  # a GBNF grammar bounds the decoded text
PINNED_SLOTS = "pinned-slots"  # a request may pin a KV-cache slot (id_slot), so a conversation reuses its prefix
PROMPT_CACHE = "prompt-cache"  # the server reuses a prompt prefix when asked (cache_prompt)
NO_COPY = "no-copy"  # a sampler that penalises repeating the context's word runs (DRY)
JSON_SCHEMA = "json-schema"  # response_format with a JSON schema
LLAMA_CPP = frozenset({GRAMMAR, PINNED_SLOTS, PROMPT_CACHE, NO_COPY, JSON_SCHEMA})


class ChatModel(Protocol):
    name: str  # model name as sent to the server
    abilities: frozenset[str]  # of the abilities above

    async def complete(
        self,
        messages: list[dict[str, str]],
        *,
        max_tokens: int,
        temperature: float | None = None,
        top_p: float | None = None,
        json_schema: dict[str, Any] | None = None,
        slot: int | None = None,
        seed: int | None = None,
        stop: list[str] | None = None,
        grammar: str | None = None,  # GBNF; sent only to a model with GRAMMAR
        no_copy: bool = False,  # penalise repeating word sequences of the context; only with NO_COPY
    ) -> Completion: ...
