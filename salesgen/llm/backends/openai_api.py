"""openai/<model>: any OpenAI-compatible endpoint (--base-url; OpenAI's own when none is given)."""
from __future__ import annotations

from contextlib import AbstractAsyncContextManager

from salesgen.llm.backends.common import Options, open_remote
from salesgen.llm.base import JSON_SCHEMA
from salesgen.llm.openai_chat import OpenAIChat

REMOTE = "openai-compatible"
ABILITIES = frozenset({JSON_SCHEMA})
OPENAI_URL = "https://api.openai.com/v1"


def open_model(model: str, opts: Options) -> AbstractAsyncContextManager[OpenAIChat]:
    return open_remote(REMOTE, opts.base_url or OPENAI_URL, model or opts.model, opts, ABILITIES)
