"""Open the chat model a run uses: the embedded llama.cpp server, or any OpenAI-compatible endpoint."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlparse

import openai

from core.errors import InputError
from llm.embedded import EmbeddedConfig, EmbeddedServer
from llm.limiter import AdaptiveLimiter
from llm.models import resolve_model
from llm.openai_chat import DEFAULT_TEMPERATURE, DEFAULT_TOP_P, NO_KEY, OpenAIChat, is_loopback_url
from llm.retry import RetryPolicy

log = logging.getLogger(__name__)

EMBEDDED = "embedded-llama.cpp"
REMOTE = "openai-compatible"


@dataclass
class BackendInfo:
    """What the manifest records about the model; the API key's variable name at most, never its value."""

    kind: str  # EMBEDDED or REMOTE
    model: str
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


def _check_url(base_url: str) -> str:
    parsed = urlparse(base_url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise InputError(f"--base-url {base_url!r} is not an http(s) URL.")
    return base_url.rstrip("/")


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
async def open_chat_model(
    *,
    base_url: str | None = None,
    model: str | None = None,
    model_path: str | None = None,
    api_key_env: str = "OPENAI_API_KEY",
    n_parallel: int = 4,
    ctx_per_slot: int = 4096,
    threads: int | None = None,
    temperature: float = DEFAULT_TEMPERATURE,
    top_p: float = DEFAULT_TOP_P,
    timeout: float | None = None,
    max_concurrency: int | None = None,
    retry: RetryPolicy | None = None,
    transport: str = "aiohttp",
) -> AsyncIterator[OpenAIChat]:
    """Yield a ready ChatModel (with `.info`, a BackendInfo); the embedded server is stopped on exit.

    No base_url: resolve the model (default qwen2.5-1.5b) and serve it in-process. A base_url: a remote server,
    checked once for reachability. `max_concurrency` caps requests in flight (AIMD-adapted on 429s).
    """
    limiter = AdaptiveLimiter(max_concurrency) if max_concurrency else None
    if base_url is None:
        mf = resolve_model(model, model_path)
        cfg = EmbeddedConfig(
            model_path=mf.path, alias=mf.name, n_parallel=n_parallel, ctx_per_slot=ctx_per_slot, threads=threads
        )
        timeout = 600.0 if timeout is None else timeout  # a pinned slot may be busy with another long turn
        async with EmbeddedServer(cfg) as server:
            chat = OpenAIChat(
                server.openai_base_url,
                mf.name,
                supports_slots=True,
                n_slots=n_parallel,
                temperature=temperature,
                top_p=top_p,
                timeout=timeout,
                retry=retry,
                limiter=limiter,
                transport=transport,
            )
            chat.info = BackendInfo(
                kind=EMBEDDED,
                model=mf.name,
                model_path=str(mf.path),
                model_sha256=mf.sha256,
                n_parallel=n_parallel,
                ctx_per_slot=ctx_per_slot,
                threads=cfg.resolved_threads(),
                xllamacpp_version=_xllamacpp_version(),
                temperature=temperature,
                top_p=top_p,
                timeout=timeout,
                max_concurrency=max_concurrency,
            )
            try:
                yield chat
            finally:
                await chat.aclose()
        return

    base_url = _check_url(base_url)
    if model_path:
        raise InputError("--model-path is for the embedded model; it cannot be combined with --base-url.")
    key = os.environ.get(api_key_env)
    if not key:
        if not is_loopback_url(base_url):
            raise InputError(f"No API key: set the environment variable {api_key_env} for {base_url}.")
        key = NO_KEY
    timeout = 120.0 if timeout is None else timeout
    chat = OpenAIChat(
        base_url,
        model or "",
        api_key=key,
        temperature=temperature,
        top_p=top_p,
        timeout=timeout,
        retry=retry,
        limiter=limiter,
        transport=transport,
    )
    try:
        listed = await probe_server(chat, base_url, api_key_env)
        if not model:
            if not listed:
                raise InputError(f"The model server at {base_url} lists no models; name one with --model.")
            chat.name = listed[0]
            log.info("using model %s, the first one %s lists", chat.name, base_url)
        elif listed and chat.name not in listed:
            log.warning("model %s is not among the %d models %s lists", chat.name, len(listed), base_url)
        chat.info = BackendInfo(
            kind=REMOTE,
            model=chat.name,
            base_url=base_url,
            api_key_env=api_key_env,
            temperature=temperature,
            top_p=top_p,
            timeout=timeout,
            max_concurrency=max_concurrency,
        )
        yield chat
    finally:
        await chat.aclose()


def _xllamacpp_version() -> str | None:
    try:
        import xllamacpp

        return str(xllamacpp.__version__)
    except Exception:  # noqa: BLE001 - the version is informational only
        return None
