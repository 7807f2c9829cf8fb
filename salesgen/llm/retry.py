"""Bounded retries with jittered exponential backoff that honour Retry-After; only transient failures retry."""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

import openai

from salesgen.core.errors import InputError
from salesgen.llm.base import LLMError

log = logging.getLogger(__name__)
T = TypeVar("T")


class TransientError(Exception):
    """A reply we could not use but that a second try may fix (malformed body, no choices)."""


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6  # including the first
    max_seconds: float = 300.0  # total budget across attempts and waits
    base_delay: float = 0.5  # first backoff, doubled per attempt
    max_delay: float = 30.0  # cap on one computed backoff
    max_retry_after: float = 120.0  # a server asking for longer than this is treated as a hard failure


@dataclass(frozen=True)
class Failure:
    retryable: bool
    cause: str  # short phrase for logs and the final error sentence
    retry_after: float | None = None  # seconds the server asked us to wait
    rate_limited: bool = False


def parse_retry_after(headers: Mapping[str, str] | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from `retry-after-ms`, `Retry-After: <seconds>` or `Retry-After: <HTTP date>`."""
    if not headers:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


def _status_text(exc: openai.APIStatusError) -> str:
    msg = str(getattr(exc, "message", "") or "")
    msg = re.sub(r"^Error code: \d+ - ", "", msg)  # the SDK's prefix repeats the status we print anyway
    msg = " ".join(msg.split())[:160]
    return f"HTTP {exc.status_code}" + (f" ({msg})" if msg else "")


def _root_cause(exc: BaseException) -> BaseException:
    seen = set()
    while (nxt := exc.__cause__ or exc.__context__) is not None and id(nxt) not in seen:
        seen.add(id(exc))
        exc = nxt
    return exc


_REFUSED = ("ConnectionRefusedError", "ClientConnectorError", "ConnectError", "gaierror")
_DROPPED = ("ServerDisconnectedError", "RemoteProtocolError", "ClientOSError", "ConnectionResetError", "ReadError")


_FATAL = (401, 403, 404)


def classify(exc: BaseException) -> Failure:
    """Which failures are worth another try: 408, 429, 5xx, connection errors, timeouts, malformed replies."""
    if isinstance(exc, openai.APIConnectionError):
        # The aiohttp transport reports a dropped connection as a timeout, so look at what really happened.
        root = type(_root_cause(exc)).__name__
        if root in _DROPPED:
            return Failure(True, f"the connection was dropped ({root})")
        if root in _REFUSED:
            return Failure(True, f"the connection failed ({root})")
        if isinstance(exc, openai.APITimeoutError):
            return Failure(True, "the request timed out")
        return Failure(True, f"the connection failed ({root})")
    if isinstance(exc, (openai.APIResponseValidationError, json.JSONDecodeError)):
        return Failure(True, "the server sent a malformed reply")
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        after = parse_retry_after(exc.response.headers) if exc.response is not None else None
        if status == 429:
            return Failure(True, _status_text(exc), after, rate_limited=True)
        if status == 408 or status >= 500:
            return Failure(True, _status_text(exc), after)
        return Failure(False, _status_text(exc))
    if isinstance(exc, TransientError):
        return Failure(True, str(exc))
    if isinstance(exc, (asyncio.TimeoutError, ConnectionError)):
        return Failure(True, type(exc).__name__)
    return Failure(False, f"{type(exc).__name__}: {exc}")


def backoff_delay(attempt: int, policy: RetryPolicy, rng: random.Random | None = None) -> float:
    """Equal-jitter exponential backoff: half fixed, half random, so retries spread but never collapse to zero."""
    raw = min(policy.max_delay, policy.base_delay * (2 ** (attempt - 1)))
    r = (rng or random).random()
    return raw / 2 + r * raw / 2


async def with_retries(
    call: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    on_retry: Callable[[int, float, Failure], None] | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    rng: random.Random | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> tuple[T, int]:
    """Run `call` until it succeeds; returns (result, attempts). Raises LLMError with a one-sentence cause."""
    start = clock()
    attempt = 0
    while True:
        attempt += 1
        try:
            return await call(), attempt
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - classified below, never swallowed
            failure = classify(exc)
            if not failure.retryable:
                if not isinstance(exc, openai.APIError):
                    raise  # not the server's doing: a bug here deserves its traceback
                if isinstance(exc, openai.APIStatusError) and exc.status_code in _FATAL:
                    # a wrong key or model name fails every later request too: stop the run (exit 2)
                    raise InputError(f"The model server refused the request ({failure.cause}); "
                                     "check the API key and --model.") from exc
                raise LLMError(f"The model server rejected the request: {failure.cause}.") from exc
            elapsed = clock() - start
            if attempt >= policy.max_attempts:
                raise LLMError(
                    f"The model request failed {attempt} times in {elapsed:.1f} s; last error: {failure.cause}."
                ) from exc
            if failure.retry_after is not None and failure.retry_after > policy.max_retry_after:
                raise LLMError(
                    f"The model server asked to wait {failure.retry_after:.0f} s ({failure.cause}), "
                    f"longer than the {policy.max_retry_after:.0f} s we allow."
                ) from exc
            delay = backoff_delay(attempt, policy, rng)
            if failure.retry_after is not None:
                # Honour the server's wait; a little jitter on top keeps a burst of clients from returning together.
                delay = failure.retry_after + (rng or random).random() * min(1.0, policy.base_delay)
            if elapsed + delay > policy.max_seconds:
                raise LLMError(
                    f"The model request failed {attempt} times and the {policy.max_seconds:.0f} s retry budget "
                    f"is spent; last error: {failure.cause}."
                ) from exc
            if on_retry is not None:
                on_retry(attempt, delay, failure)
            else:
                log.info("attempt %d failed (%s); retrying in %.2f s", attempt, failure.cause, delay)
            await sleep(delay)
