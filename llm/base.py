"""The one chat-model interface every stage uses; backends live beside it, one per file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from core.dialogue import Usage


@dataclass
class Completion:
    text: str
    usage: Usage
    finish_reason: str | None = None
    attempts: int = 1  # HTTP attempts this completion took (retries + 1)


class LLMError(Exception):
    """A call that still failed after the bounded retries; the message names the cause in one sentence."""


class ChatModel(Protocol):
    name: str  # model name as sent to the server
    supports_slots: bool  # llama.cpp server: requests may pin a KV-cache slot (id_slot) to reuse a prefix

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
        grammar: str | None = None,  # GBNF; llama.cpp servers only (sent when supports_slots)
        no_copy: bool = False,  # llama.cpp servers: penalise repeating word sequences of the context (DRY sampler)
    ) -> Completion: ...
