"""Adaptive concurrency: multiplicative decrease on 429, additive increase after successes, bounds, enforcement."""

from __future__ import annotations

import asyncio

import pytest

from salesgen.llm.limiter import AdaptiveLimiter
from salesgen.llm.openai_chat import OpenAIChat
from salesgen.llm.retry import RetryPolicy


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_decreases_on_429_with_cooldown() -> None:
    clock = Clock()
    lim = AdaptiveLimiter(16, cooldown=2.0, clock=clock)
    lim.record_rate_limited()
    assert lim.limit == 12  # 16 × 0.75
    lim.record_rate_limited()
    assert lim.limit == 12  # same burst, inside the cooldown
    clock.t += 2.5
    lim.record_rate_limited()
    assert lim.limit == 9
    assert lim.decreases == 2


def test_never_below_one() -> None:
    clock = Clock()
    lim = AdaptiveLimiter(3, cooldown=1.0, clock=clock)
    for _ in range(10):
        lim.record_rate_limited()
        clock.t += 1.5
    assert lim.limit == 1


def test_increases_by_one_after_25_successes_and_never_above_max() -> None:
    clock = Clock()
    lim = AdaptiveLimiter(8, cooldown=1.0, clock=clock)
    lim.record_rate_limited()
    assert lim.limit == 6
    clock.t += 5
    for _ in range(24):
        lim.record_success()
    assert lim.limit == 6
    lim.record_success()
    assert lim.limit == 7
    for _ in range(25 * 10):
        lim.record_success()
    assert lim.limit == 8


def test_a_429_resets_the_success_streak() -> None:
    clock = Clock()
    lim = AdaptiveLimiter(8, initial=4, cooldown=1.0, clock=clock)
    for _ in range(20):
        lim.record_success()
    clock.t += 5
    lim.record_rate_limited()  # 4 -> 3
    clock.t += 5
    for _ in range(20):
        lim.record_success()
    assert lim.limit == 3  # 20 + 20 successes, but not 25 in a row


async def test_enforces_the_limit_on_concurrent_tasks() -> None:
    lim = AdaptiveLimiter(3)
    peak = 0

    async def work() -> None:
        nonlocal peak
        async with lim:
            peak = max(peak, lim.in_flight)
            await asyncio.sleep(0.01)

    await asyncio.gather(*(work() for _ in range(20)))
    assert peak == 3 and lim.in_flight == 0


async def test_context_manager_counts_429s_and_successes() -> None:
    class RateLimited(Exception):
        status_code = 429

    lim = AdaptiveLimiter(4, cooldown=0.0, increase_after=2)
    with pytest.raises(RateLimited):
        async with lim:
            raise RateLimited()
    assert lim.limit == 3
    for _ in range(2):
        async with lim:
            pass
    assert lim.limit == 4


async def test_openai_chat_feeds_429s_to_the_limiter(fault_server) -> None:
    srv = fault_server(script=["429"] * 3 + ["ok"] * 30, retry_after="0")
    lim = AdaptiveLimiter(8, cooldown=0.0)
    chat = OpenAIChat(srv.url, "m", limiter=lim, retry=RetryPolicy(base_delay=0.001, max_attempts=6))
    msgs = [{"role": "user", "content": "hi"}]
    try:
        await chat.complete(msgs, max_tokens=50)
        assert lim.limit == 3  # 8 -> 6 -> 4 -> 3
        for _ in range(25):
            await chat.complete(msgs, max_tokens=50)
    finally:
        await chat.aclose()
    assert lim.limit == 4 and lim.lowest == 3
