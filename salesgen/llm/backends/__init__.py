"""Backends by name ("embedded/qwen2.5-1.5b", "llamacpp/http://127.0.0.1:8080/v1", "openai/gpt-4o-mini",
"vllm/Qwen/Qwen2.5-7B-Instruct"): one file each, with the abilities it declares (llm.base), one registry below.
A new backend is one file and one line in BACKENDS."""
from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from salesgen.core.errors import InputError
from salesgen.llm.backends import embedded, llamacpp, openai_api, vllm
from salesgen.llm.backends.common import BackendInfo, Options
from salesgen.llm.models import DEFAULT_MODEL
from salesgen.llm.openai_chat import OpenAIChat

__all__ = ["BACKENDS", "Backend", "BackendInfo", "Options", "backend_name", "open_chat_model"]


@dataclass(frozen=True)
class Backend:
    name: str  # what a backend name starts with, before the slash
    help: str
    # (what follows the slash, the options) -> a context that yields a ready model and closes it after
    open: Callable[[str, Options], AbstractAsyncContextManager[OpenAIChat]]
    abilities: frozenset[str] = field(default_factory=frozenset)  # the most it can do; the server may offer less
    check: Callable[[str, Options], None] | None = None  # before a run starts: what can be found wrong offline


BACKENDS: dict[str, Backend] = {b.name: b for b in (
    Backend("embedded", "a GGUF model served in-process by llama.cpp (xllamacpp): qwen2.5-1.5b, tiny, or a path",
            embedded.open_model, embedded.ABILITIES, embedded.check),
    Backend("llamacpp", "a llama.cpp server at a URL: grammar, pinned slots, prompt cache",
            llamacpp.open_model, llamacpp.ABILITIES, llamacpp.check),
    Backend("openai", "any OpenAI-compatible endpoint (--base-url; default api.openai.com)", openai_api.open_model,
            openai_api.ABILITIES),
    Backend("vllm", "a vLLM server (--base-url): JSON schema, automatic prefix caching", vllm.open_model,
            vllm.ABILITIES, vllm.check),
)}


def backend_name(backend: str | None = None, base_url: str | None = None, model: str | None = None) -> str:
    """The backend a run uses: `--backend`, else the older flags' meaning (--base-url: an OpenAI-compatible
    server; neither: the embedded default)."""
    if backend:
        return backend
    return f"openai/{model or ''}" if base_url else f"embedded/{model or DEFAULT_MODEL}"


def split(name: str) -> tuple[Backend, str]:
    kind, _, rest = name.partition("/")
    if kind not in BACKENDS:
        raise InputError(f"Unknown backend {name!r}: it starts with one of {', '.join(BACKENDS)} and a slash "
                         "(embedded/qwen2.5-1.5b, llamacpp/URL, openai/MODEL, vllm/MODEL).")
    return BACKENDS[kind], rest


def check_backend(backend: str | None, base_url: str | None, model: str | None, model_path: str | None) -> None:
    """InputError now for what opening the backend would find wrong later: an unknown name, a missing model."""
    b, rest = split(backend_name(backend, base_url, model))
    if b.check is not None:
        b.check(rest, Options(base_url=base_url, model=model, model_path=model_path))


@asynccontextmanager
async def open_chat_model(backend: str | None = None, *, base_url: str | None = None, model: str | None = None,
                          **options: Any) -> AsyncIterator[OpenAIChat]:
    """Yield a ready ChatModel with `.info` (a BackendInfo for the manifest) and `.abilities`; closed on exit.
    `options` are Options' fields (model_path, api_key_env, n_parallel, threads, temperature, timeout, ...)."""
    b, rest = split(backend_name(backend, base_url, model))
    opts = Options(base_url=base_url, model=model, **options)
    async with b.open(rest, opts) as chat:
        chat.info.backend = f"{b.name}/{chat.info.base_url if b.name == 'llamacpp' else chat.name}"
        chat.info.abilities = sorted(chat.abilities)
        yield chat
