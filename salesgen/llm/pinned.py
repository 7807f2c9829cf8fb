"""A view of a chat model whose requests always use one KV-cache slot."""
from __future__ import annotations

from typing import Any

from salesgen.llm.base import PINNED_SLOTS, ChatModel, Completion


class PinnedSlot:
    """Keeps a side job (the LLM judge) on its own slot, so it never evicts an agent's cached conversation."""

    def __init__(self, model: ChatModel, slot: int):
        self.model, self.slot = model, slot
        self.name, self.abilities = model.name, model.abilities

    def __getattr__(self, attr: str) -> Any:  # info, stats, ... of the model underneath
        return getattr(self.model, attr)

    async def complete(self, messages: list[dict[str, str]], **kwargs: Any) -> Completion:
        kwargs["slot"] = self.slot if PINNED_SLOTS in self.abilities else None
        return await self.model.complete(messages, **kwargs)
