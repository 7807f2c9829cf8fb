"""llamacpp/<url>: a llama.cpp server someone else runs (`llama-server`). It takes a GBNF grammar, pinned KV-cache
slots and prompt caching like the embedded one; the slots are used only when its /props says how many it has."""
from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx2

from salesgen.llm.backends.common import Options, check_remote, open_remote
from salesgen.llm.base import LLAMA_CPP, PINNED_SLOTS
from salesgen.llm.openai_chat import OpenAIChat

log = logging.getLogger(__name__)
LLAMACPP = "llama.cpp-server"
ABILITIES = LLAMA_CPP


def check(url: str, opts: Options) -> None:
    check_remote(url or opts.base_url, LLAMACPP)


@asynccontextmanager
async def open_model(url: str, opts: Options) -> AsyncIterator[OpenAIChat]:
    async with open_remote(LLAMACPP, url or opts.base_url, opts.model, opts, ABILITIES) as chat:
        chat.n_slots = await _slots(chat)
        if not chat.n_slots:  # a slot id beyond the server's would fail every request
            chat.abilities = chat.abilities - {PINNED_SLOTS}
        yield chat


async def _slots(chat: OpenAIChat) -> int | None:
    """The server's slot count (`total_slots` of GET /props at its root), or None when it does not say."""
    root = chat.base_url.removesuffix("/v1")
    try:
        raw = await chat._client.with_options(timeout=5.0, max_retries=0).get(f"{root}/props", cast_to=httpx2.Response)
        n = json.loads(raw.content).get("total_slots")
        return int(n) if n else None
    except Exception as e:  # noqa: BLE001 - an older server or a proxy: run without pinned slots
        log.info("%s/props gave no slot count (%s); not pinning slots", root, type(e).__name__)
        return None
