"""Adaptive concurrency (AIMD): back off on HTTP 429, creep back up after a run of successes."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)


def is_rate_limit(exc: BaseException | None) -> bool:
    return exc is not None and getattr(exc, "status_code", None) == 429


@dataclass
class LimiterStats:
    limit: int
    max_limit: int
    in_flight: int
    decreases: int
    increases: int
    lowest: int


class AdaptiveLimiter:
    """Async context manager around each request: at most `limit` run at once, and the limit adapts.

    ×`decrease` on a 429 (at most once per `cooldown` seconds, since a burst of 429s usually comes from one wave of
    requests already in flight), +1 after `increase_after` consecutive successes, always within [1, max_limit].
    """

    def __init__(
        self,
        max_limit: int,
        *,
        initial: int | None = None,
        decrease: float = 0.75,
        increase_after: int = 25,
        cooldown: float = 2.0,
        is_rate_limited: Callable[[BaseException | None], bool] = is_rate_limit,
        clock: Callable[[], float] = time.monotonic,
    ):
        if max_limit < 1:
            raise ValueError("max_limit must be at least 1")
        self.max_limit = max_limit
        self._limit = max(1, min(max_limit, initial or max_limit))
        self._decrease = decrease
        self._increase_after = increase_after
        self._cooldown = cooldown
        self._is_rate_limited = is_rate_limited
        self._clock = clock
        self._in_flight = 0
        self._streak = 0
        self._last_decrease = -math.inf
        self._cond: asyncio.Condition | None = None
        self.decreases = 0
        self.increases = 0
        self.lowest = self._limit

    @property
    def limit(self) -> int:
        return self._limit

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def stats(self) -> LimiterStats:
        return LimiterStats(self._limit, self.max_limit, self._in_flight, self.decreases, self.increases, self.lowest)

    def _condition(self) -> asyncio.Condition:
        # Created on first use so the limiter can be built outside a running loop.
        if self._cond is None:
            self._cond = asyncio.Condition()
        return self._cond

    async def __aenter__(self) -> AdaptiveLimiter:
        cond = self._condition()
        async with cond:
            await cond.wait_for(lambda: self._in_flight < self._limit)
            self._in_flight += 1
        return self

    async def __aexit__(self, exc_type, exc, tb) -> None:
        if exc is None:
            self.record_success()
        elif self._is_rate_limited(exc):
            self.record_rate_limited()
        elif not isinstance(exc, asyncio.CancelledError):
            self._streak = 0
        cond = self._condition()
        async with cond:
            self._in_flight -= 1
            cond.notify_all()

    def record_rate_limited(self) -> None:
        self._streak = 0
        now = self._clock()
        if now - self._last_decrease < self._cooldown:
            return
        self._last_decrease = now
        new = max(1, math.floor(self._limit * self._decrease))
        if new != self._limit:
            log.info("rate limited: concurrency %d -> %d", self._limit, new)
            self._limit = new
            self.decreases += 1
            self.lowest = min(self.lowest, new)

    def record_success(self) -> None:
        self._streak += 1
        if self._streak < self._increase_after:
            return
        self._streak = 0
        if self._limit < self.max_limit and self._clock() - self._last_decrease >= self._cooldown:
            self._limit += 1
            self.increases += 1
            log.debug("concurrency %d -> %d", self._limit - 1, self._limit)
            # Waiters are woken by the release that follows in __aexit__.
