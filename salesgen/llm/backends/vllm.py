"""vllm/<model>: a vLLM server (--base-url). It caches prompt prefixes by itself, unasked; its structured output
takes JSON schemas (its grammars are not llama.cpp's GBNF, so no GRAMMAR)."""
from __future__ import annotations

from contextlib import AbstractAsyncContextManager

from salesgen.llm.backends.common import Options, check_remote, open_remote
from salesgen.llm.base import JSON_SCHEMA
from salesgen.llm.openai_chat import OpenAIChat

VLLM = "vllm"
ABILITIES = frozenset({JSON_SCHEMA})


def check(model: str, opts: Options) -> None:
    check_remote(opts.base_url, VLLM)


def open_model(model: str, opts: Options) -> AbstractAsyncContextManager[OpenAIChat]:
    return open_remote(VLLM, opts.base_url, model or opts.model, opts, ABILITIES)
