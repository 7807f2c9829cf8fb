"""ChatModel over any OpenAI-compatible server through the official async SDK, with our retries and AIMD limiter."""

from __future__ import annotations

import ipaddress
import json
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import httpx2
import openai

from salesgen.core.dialogue import Usage
from salesgen.llm.base import GRAMMAR, NO_COPY, PINNED_SLOTS, PROMPT_CACHE, Completion
from salesgen.llm.limiter import AdaptiveLimiter
from salesgen.llm.retry import Failure, RetryPolicy, TransientError, with_retries

log = logging.getLogger(__name__)
# The SDK's HTTP library logs every request at INFO; at thousands of requests that drowns the run's own log.
if logging.getLogger("httpx2").level == logging.NOTSET:
    logging.getLogger("httpx2").setLevel(logging.WARNING)

DEFAULT_TEMPERATURE = 0.7  # the GoalConvo settings
DEFAULT_TOP_P = 0.9
NO_KEY = "sk-no-key-required"  # loopback servers ignore the key, but the SDK insists on one


@dataclass
class ChatStats:
    """What the run summary and benchmarks report; counters only, never request content."""

    requests: int = 0
    attempts: int = 0
    retries: int = 0
    failures: int = 0
    rate_limited: int = 0
    retry_wait_seconds: float = 0.0
    retry_causes: dict[str, int] = field(default_factory=dict)


# llama.cpp's DRY sampler over the whole context: a run of more than 4 tokens that the prompt already holds is
# penalised, growing with its length. A 1.5B model otherwise copied the other side's line as its own.
DRY = {"dry_multiplier": 0.8, "dry_base": 1.75, "dry_allowed_length": 4, "dry_penalty_last_n": 4096}


def is_loopback_url(url: str) -> bool:
    host = (urlparse(url).hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def response_format_for(schema: dict[str, Any]) -> dict[str, Any]:
    """OpenAI structured-output request field; llama.cpp's server turns it into a grammar."""
    name = str(schema.get("title") or "response")
    name = "".join(c if c.isalnum() or c in "_-" else "_" for c in name)[:64] or "response"
    return {"type": "json_schema", "json_schema": {"name": name, "schema": schema}}


def _cached_tokens(resp: dict[str, Any]) -> int:
    details = (resp.get("usage") or {}).get("prompt_tokens_details") or {}
    cached = details.get("cached_tokens")
    if cached is None:
        # Older llama.cpp servers report the reused prefix only in their own `timings` block.
        cached = (resp.get("timings") or {}).get("cache_n")
    return int(cached or 0)


class OpenAIChat:
    """One model on one server; `complete` is safe to call from many tasks at once."""

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str = NO_KEY,
        abilities: Iterable[str] = (),
        n_slots: int | None = None,
        cache_prompt: bool = True,
        temperature: float = DEFAULT_TEMPERATURE,
        top_p: float = DEFAULT_TOP_P,
        timeout: float = 120.0,
        connect_timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        limiter: AdaptiveLimiter | None = None,
        max_connections: int = 1000,
        transport: str = "aiohttp",
    ):
        self.name = model
        self.abilities = frozenset(abilities)  # llm.base: what the server takes beyond the OpenAI protocol
        self.n_slots = n_slots  # llama.cpp: slot ids must be below its n_parallel
        self.cache_prompt = cache_prompt  # llama.cpp: False only to measure what prefix reuse saves
        self.base_url = base_url
        self.temperature = temperature
        self.top_p = top_p
        self.retry = retry or RetryPolicy()
        self.limiter = limiter
        self.stats = ChatStats()
        self.info: Any = None  # BackendInfo, set by open_chat_model for the manifest
        self._timeout = httpx2.Timeout(timeout, connect=min(connect_timeout, timeout))
        # Keep-alive for every concurrent request, or high concurrency churns through new connections.
        limits = httpx2.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
        # Never send loopback traffic (the embedded server, the fault server) through an environment proxy.
        opts: dict[str, Any] = {"timeout": self._timeout, "limits": limits, "trust_env": not is_loopback_url(base_url)}
        # The SDK's aiohttp transport costs ~0.7 ms CPU per call against ~1.2 ms for httpx (bench_orchestration).
        if transport == "aiohttp":
            http_client: httpx2.AsyncClient = openai.DefaultAioHttpClient(**opts)
        elif transport == "httpx":
            http_client = openai.DefaultAsyncHttpxClient(**opts)
        else:
            raise ValueError(f"unknown transport {transport!r}")
        # SDK retries off: ours classify, honour Retry-After, feed the limiter and respect a total budget.
        self._client = openai.AsyncOpenAI(
            base_url=base_url, api_key=api_key, max_retries=0, timeout=self._timeout, http_client=http_client
        )

    async def aclose(self) -> None:
        await self._client.close()

    async def __aenter__(self) -> OpenAIChat:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()

    def _on_retry(self, attempt: int, delay: float, failure: Failure) -> None:
        self.stats.retries += 1
        self.stats.retry_wait_seconds += delay
        key = failure.cause.split(" (")[0]
        self.stats.retry_causes[key] = self.stats.retry_causes.get(key, 0) + 1
        if failure.rate_limited:
            self.stats.rate_limited += 1
        log.info("model request attempt %d failed (%s); retrying in %.1f s", attempt, failure.cause, delay)

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
        grammar: str | None = None,
        no_copy: bool = False,
    ) -> Completion:
        """One chat completion; retried on transient failures, LLMError when they persist."""
        body: dict[str, Any] = {
            "model": self.name,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": self.temperature if temperature is None else temperature,
            "top_p": self.top_p if top_p is None else top_p,
        }
        if seed is not None:
            body["seed"] = seed
        if stop:
            body["stop"] = stop
        if json_schema is not None:
            body["response_format"] = response_format_for(json_schema)
        # llama.cpp server fields, each sent only where the backend declares it: keep this conversation's KV prefix
        # on one slot and reuse it, bound the text by a grammar, penalise copying.
        if PROMPT_CACHE in self.abilities:
            body["cache_prompt"] = self.cache_prompt
        if slot is not None and PINNED_SLOTS in self.abilities:
            body["id_slot"] = slot % self.n_slots if self.n_slots else slot
        if grammar and GRAMMAR in self.abilities:
            body["grammar"] = grammar
        if no_copy and NO_COPY in self.abilities:
            body.update(DRY)

        async def attempt() -> Any:
            self.stats.attempts += 1
            if self.limiter is None:
                return await self._create(body)
            async with self.limiter:
                return await self._create(body)

        self.stats.requests += 1
        start = time.perf_counter()
        try:
            resp, attempts = await with_retries(attempt, self.retry, on_retry=self._on_retry)
        except Exception:
            self.stats.failures += 1
            raise
        seconds = time.perf_counter() - start
        choice = resp["choices"][0]
        usage = resp.get("usage") or {}
        return Completion(
            text=(choice.get("message") or {}).get("content") or "",
            usage=Usage(
                prompt_tokens=int(usage.get("prompt_tokens") or 0),
                completion_tokens=int(usage.get("completion_tokens") or 0),
                cached_tokens=_cached_tokens(resp),
                calls=1,
                seconds=seconds,
            ),
            finish_reason=choice.get("finish_reason"),
            attempts=attempts,
        )

    async def _create(self, body: dict[str, Any]) -> dict[str, Any]:
        # The SDK's documented raw `post`: same client, auth, timeouts and error types as `chat.completions.create`,
        # without its per-request TypedDict transform and pydantic parsing, which cost ~1 ms of CPU per call and
        # capped throughput at high concurrency (bench/bench_orchestration.py).
        raw = await self._client.post("/chat/completions", cast_to=httpx2.Response, body=body)
        resp = json.loads(raw.content)
        choices = resp.get("choices") if isinstance(resp, dict) else None
        # A 200 without a usable choice is a server hiccup, not an answer: let the retry loop have another go.
        if not choices or not isinstance(choices[0], dict) or not isinstance(choices[0].get("message"), dict):
            raise TransientError("the server sent a reply without a message")
        return resp
