"""Retries: what is retried, Retry-After honoured, bounded attempts and budget, one-sentence LLMError."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from salesgen.core.errors import InputError
from salesgen.llm.base import LLMError
from salesgen.llm.openai_chat import OpenAIChat
from salesgen.llm.retry import RetryPolicy, TransientError, backoff_delay, parse_retry_after, with_retries

MSGS = [{"role": "system", "content": "You are a salesperson."}, {"role": "user", "content": "Hello there."}]


def test_parse_retry_after_seconds_date_and_ms() -> None:
    now = datetime(2030, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after({"retry-after": "7"}, now) == 7.0
    assert parse_retry_after({"retry-after": format_datetime(now + timedelta(seconds=30), usegmt=True)}, now) == 30.0
    assert parse_retry_after({"retry-after": format_datetime(now - timedelta(seconds=30), usegmt=True)}, now) == 0.0
    assert parse_retry_after({"retry-after-ms": "250"}, now) == 0.25
    assert parse_retry_after({"retry-after": "soon"}, now) is None
    assert parse_retry_after({}, now) is None


def test_backoff_grows_is_jittered_and_capped() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=8.0)
    rng = random.Random(1)
    delays = [backoff_delay(a, policy, rng) for a in range(1, 8)]
    for attempt, d in enumerate(delays, 1):
        raw = min(8.0, 2 ** (attempt - 1))
        assert raw / 2 <= d <= raw
    assert len({round(d, 6) for d in delays}) == len(delays)  # jitter: no two equal


async def test_with_retries_gives_up_after_max_attempts_with_llm_error() -> None:
    calls = []
    sleeps: list[float] = []

    async def fail() -> None:
        calls.append(1)
        raise TransientError("the server sent a reply without a message")

    async def fake_sleep(s: float) -> None:
        sleeps.append(s)

    with pytest.raises(LLMError, match="failed 4 times") as info:
        await with_retries(fail, RetryPolicy(max_attempts=4, base_delay=0.01), sleep=fake_sleep)
    assert len(calls) == 4 and len(sleeps) == 3
    assert str(info.value).count(".") >= 1 and "\n" not in str(info.value)


async def test_with_retries_stops_when_the_time_budget_is_spent() -> None:
    calls = []

    async def fail() -> None:
        calls.append(1)
        raise TransientError("flaky")

    async def fake_sleep(s: float) -> None:
        pass

    policy = RetryPolicy(max_attempts=100, max_seconds=5.0, base_delay=4.0, max_delay=4.0)
    with pytest.raises(LLMError, match="retry budget"):
        await with_retries(fail, policy, sleep=fake_sleep, clock=lambda: 0.0 if not calls else 3.0)
    assert len(calls) == 1  # elapsed 3 s + a ≥2 s wait would pass the 5 s budget


async def test_retry_after_from_the_server_is_honoured(fault_server) -> None:
    srv = fault_server(script=["429", "429", "ok"], retry_after="0.3")
    waits: list[float] = []
    chat = OpenAIChat(srv.url, "m", retry=RetryPolicy(base_delay=0.01, max_attempts=5))
    original = chat._on_retry
    chat._on_retry = lambda a, d, f: (waits.append(d), original(a, d, f))  # type: ignore[method-assign]
    try:
        c = await chat.complete(MSGS, max_tokens=100)
    finally:
        await chat.aclose()
    assert c.attempts == 3 and c.text
    assert srv.stats["requests"] == 3 and srv.stats["429"] == 2
    assert len(waits) == 2 and all(w >= 0.3 for w in waits)  # not the 0.01 s backoff
    assert chat.stats.rate_limited == 2


async def test_retry_after_http_date_is_honoured(fault_server) -> None:
    when = datetime.now(UTC) + timedelta(seconds=3)
    srv = fault_server(script=["429", "ok"], retry_after=format_datetime(when, usegmt=True))
    waits: list[float] = []
    chat = OpenAIChat(srv.url, "m", retry=RetryPolicy(base_delay=0.01, max_attempts=3))
    original = chat._on_retry
    chat._on_retry = lambda a, d, f: (waits.append(d), original(a, d, f))  # type: ignore[method-assign]
    try:
        await chat.complete(MSGS, max_tokens=100)
    finally:
        await chat.aclose()
    assert len(waits) == 1 and 1.0 <= waits[0] <= 4.5  # HTTP dates have 1 s resolution


async def test_persistent_500_gives_up_after_the_bound(fault_server) -> None:
    srv = fault_server(rate_500=1.0)
    chat = OpenAIChat(srv.url, "m", retry=RetryPolicy(max_attempts=3, base_delay=0.01))
    try:
        with pytest.raises(LLMError, match=r"failed 3 times.*HTTP 500"):
            await chat.complete(MSGS, max_tokens=50)
    finally:
        await chat.aclose()
    assert srv.stats["requests"] == 3
    assert chat.stats.failures == 1


@pytest.mark.parametrize(("status", "error", "message"), [
    ("400", LLMError, "rejected the request: HTTP 400"),
    # a refused key or an unknown model fails every later request too: an input error that stops the run
    ("401", InputError, "refused the request .HTTP 401"),
    ("404", InputError, "refused the request .HTTP 404"),
])
async def test_non_retryable_status_fails_at_once(fault_server, status: str, error: type, message: str) -> None:
    srv = fault_server(script=[status, "ok"])
    chat = OpenAIChat(srv.url, "m", retry=RetryPolicy(max_attempts=5, base_delay=0.01))
    try:
        with pytest.raises(error, match=message):
            await chat.complete(MSGS, max_tokens=50)
    finally:
        await chat.aclose()
    assert srv.stats["requests"] == 1


@pytest.mark.parametrize("fault", ["drop", "hang", "malformed", "503"])
async def test_transient_faults_are_retried_then_succeed(fault_server, fault: str) -> None:
    srv = fault_server(script=[fault, "ok"])
    chat = OpenAIChat(srv.url, "m", timeout=0.5, retry=RetryPolicy(max_attempts=3, base_delay=0.01))
    try:
        c = await chat.complete(MSGS, max_tokens=100)
    finally:
        await chat.aclose()
    assert c.attempts == 2 and c.text
    assert srv.stats["requests"] == 2


async def test_timeouts_give_up_with_a_clear_cause(fault_server) -> None:
    srv = fault_server(rate_hang=1.0)
    chat = OpenAIChat(srv.url, "m", timeout=0.3, retry=RetryPolicy(max_attempts=2, base_delay=0.01))
    try:
        with pytest.raises(LLMError, match="timed out"):
            await chat.complete(MSGS, max_tokens=50)
    finally:
        await chat.aclose()


async def test_connection_refused_is_retried_then_reported(fault_server) -> None:
    srv = fault_server()
    url = srv.url
    srv.stop_background()  # nothing listens on that port any more
    chat = OpenAIChat(url, "m", retry=RetryPolicy(max_attempts=2, base_delay=0.01))
    try:
        with pytest.raises(LLMError, match="failed 2 times.*connection"):
            await chat.complete(MSGS, max_tokens=50)
    finally:
        await chat.aclose()


async def test_a_bug_in_the_call_is_not_disguised_as_a_server_error() -> None:
    async def buggy() -> None:
        raise KeyError("choices")

    with pytest.raises(KeyError):
        await with_retries(buggy, RetryPolicy(max_attempts=3))
