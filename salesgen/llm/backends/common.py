"""What the backends share: the options a run gives them, what the manifest records, and opening a remote server."""
from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlparse

import openai

from salesgen.core.errors import InputError
from salesgen.llm.limiter import AdaptiveLimiter
from salesgen.llm.openai_chat import DEFAULT_TEMPERATURE, DEFAULT_TOP_P, NO_KEY, OpenAIChat, is_loopback_url
from salesgen.llm.retry import RetryPolicy

log = logging.getLogger(__name__)


@dataclass
class Options:
    base_url: str | None = None
    model: str | None = None  # a remote server's model name (the embedded backend's comes after its slash)
    model_path: str | None = None  # embedded: any local GGUF file
    api_key_env: str = "OPENAI_API_KEY"
    n_parallel: int = 4  # embedded: slots
    ctx_per_slot: int = 4096
    threads: int | None = None
    temperature: float = DEFAULT_TEMPERATURE
    top_p: float = DEFAULT_TOP_P
    timeout: float | None = None
    max_concurrency: int | None = None  # requests in flight at most (AIMD-adapted on 429s)
    retry: RetryPolicy | None = None
    transport: str = "aiohttp"

    def limiter(self) -> AdaptiveLimiter | None:
        return AdaptiveLimiter(self.max_concurrency) if self.max_concurrency else None


@dataclass
class BackendInfo:
    """What the manifest records about the model; the API key's variable name at most, never its value."""

    kind: str  # EMBEDDED, REMOTE, ...: what serves the model
    model: str
    backend: str | None = None  # the backend's name, e.g. "embedded/qwen2.5-1.5b"
    abilities: list[str] = field(default_factory=list)
    base_url: str | None = None  # remote only: the embedded server's port changes every run
    model_path: str | None = None
    model_sha256: str | None = None
    n_parallel: int | None = None
    ctx_per_slot: int | None = None
    threads: int | None = None
    xllamacpp_version: str | None = None
    api_key_env: str | None = None
    temperature: float = DEFAULT_TEMPERATURE
    top_p: float = DEFAULT_TOP_P
    timeout: float | None = None
    max_concurrency: int | None = None

    def to_manifest(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


def check_url(base_url: str) -> str:
    parsed = urlparse(base_url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise InputError(f"--base-url {base_url!r} is not an http(s) URL.")
    return base_url.rstrip("/")


def check_remote(url: str | None, kind: str) -> str:
    """Before a run and when it opens: a server URL is there and is an http(s) URL; returns it without a trailing
    slash (reachability is checked when it opens)."""
    if not url:
        raise InputError(f"The {kind} backend needs a server URL (--base-url).")
    return check_url(url)


async def probe_server(chat: OpenAIChat, base_url: str, api_key_env: str, timeout: float = 5.0) -> list[str]:
    """GET {base_url}/models once; the model ids it lists, or InputError when the server can't be used."""
    client = chat._client.with_options(timeout=timeout, max_retries=0)
    try:
        page = await client.models.list()
        return [m.id for m in page.data]
    except (openai.APIConnectionError, openai.APITimeoutError):
        raise InputError(f"The model server at {base_url} is not reachable.") from None
    except openai.AuthenticationError:
        raise InputError(f"The model server at {base_url} rejected the API key in ${api_key_env} (HTTP 401).") from None
    except openai.PermissionDeniedError:
        raise InputError(f"The model server at {base_url} refused access with the key in ${api_key_env}.") from None
    except openai.APIStatusError as e:
        # Some proxies don't list models; the server answered, so let the first real request decide.
        log.warning("%s/models answered HTTP %d; continuing", base_url, e.status_code)
    except openai.APIError as e:
        log.warning("%s/models gave an unexpected reply (%s); continuing", base_url, type(e).__name__)
    return []


@asynccontextmanager
async def open_remote(kind: str, base_url: str | None, model: str | None, opts: Options,
                      abilities: frozenset[str], n_slots: int | None = None) -> AsyncIterator[OpenAIChat]:
    """A server at a URL, checked once for reachability; its first listed model when none is named."""
    base_url = check_remote(base_url, kind)
    if opts.model_path:
        raise InputError("--model-path is for the embedded model; it cannot be combined with a server.")
    key = os.environ.get(opts.api_key_env)
    if not key:
        if not is_loopback_url(base_url):
            raise InputError(f"No API key: set the environment variable {opts.api_key_env} for {base_url}.")
        key = NO_KEY
    timeout = 120.0 if opts.timeout is None else opts.timeout
    chat = OpenAIChat(base_url, model or "", api_key=key, abilities=abilities, n_slots=n_slots,
                      temperature=opts.temperature, top_p=opts.top_p, timeout=timeout, retry=opts.retry,
                      limiter=opts.limiter(), transport=opts.transport)
    try:
        listed = await probe_server(chat, base_url, opts.api_key_env)
        if not model:
            if not listed:
                raise InputError(f"The model server at {base_url} lists no models; name one with --model.")
            chat.name = listed[0]
            log.info("using model %s, the first one %s lists", chat.name, base_url)
        elif listed and chat.name not in listed:
            log.warning("model %s is not among the %d models %s lists", chat.name, len(listed), base_url)
        chat.info = BackendInfo(kind=kind, model=chat.name, base_url=base_url, api_key_env=opts.api_key_env,
                                temperature=opts.temperature, top_p=opts.top_p, timeout=timeout,
                                max_concurrency=opts.max_concurrency)
        yield chat
    finally:
        await chat.aclose()
