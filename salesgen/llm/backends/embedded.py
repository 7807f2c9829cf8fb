"""embedded/<model>: a GGUF model (qwen2.5-1.5b, tiny, or --model-path) served in-process by llama.cpp."""
from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from salesgen.llm.backends.common import BackendInfo, Options
from salesgen.llm.base import LLAMA_CPP
from salesgen.llm.embedded import EmbeddedConfig, EmbeddedServer
from salesgen.llm.models import resolve_model
from salesgen.llm.openai_chat import OpenAIChat

EMBEDDED = "embedded-llama.cpp"
ABILITIES = LLAMA_CPP


def check(model: str, opts: Options) -> None:
    resolve_model(model or None, opts.model_path)  # unknown name, missing or non-GGUF file; hashes are cached


@asynccontextmanager
async def open_model(model: str, opts: Options) -> AsyncIterator[OpenAIChat]:
    mf = resolve_model(model or None, opts.model_path)
    cfg = EmbeddedConfig(model_path=mf.path, alias=mf.name, n_parallel=opts.n_parallel,
                         ctx_per_slot=opts.ctx_per_slot, threads=opts.threads)
    timeout = 600.0 if opts.timeout is None else opts.timeout  # a pinned slot may be busy with another long turn
    async with EmbeddedServer(cfg) as server:
        chat = OpenAIChat(server.openai_base_url, mf.name, abilities=ABILITIES, n_slots=opts.n_parallel,
                          temperature=opts.temperature, top_p=opts.top_p, timeout=timeout, retry=opts.retry,
                          limiter=opts.limiter(), transport=opts.transport)
        chat.info = BackendInfo(kind=EMBEDDED, model=mf.name, model_path=str(mf.path), model_sha256=mf.sha256,
                                n_parallel=opts.n_parallel, ctx_per_slot=opts.ctx_per_slot,
                                threads=cfg.resolved_threads(), xllamacpp_version=_xllamacpp_version(),
                                temperature=opts.temperature, top_p=opts.top_p, timeout=timeout,
                                max_concurrency=opts.max_concurrency)
        try:
            yield chat
        finally:
            await chat.aclose()


def _xllamacpp_version() -> str | None:
    try:
        import xllamacpp

        return str(xllamacpp.__version__)
    except Exception:  # noqa: BLE001 - the version is informational only
        return None
