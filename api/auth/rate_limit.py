"""A token bucket per principal, kept in this process: the limit holds per API replica (N
replicas let a principal through N times as fast; a shared store would be needed for more)."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

MAX_TRACKED = 10_000
"""Buckets kept; the least recently used beyond this are forgotten (a forgotten bucket is full,
so forgetting an idle principal changes nothing)."""


class RateLimiter:
    def __init__(
        self, per_second: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.per_second = per_second
        self.burst = burst
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # tokens, when

    def take(self, subject: str) -> float | None:
        """Take one token for `subject`: None when allowed, else seconds until one is due."""
        now = self._clock()
        tokens, then = self._buckets.pop(subject, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - then) * self.per_second)
        allowed = tokens >= 1.0
        self._buckets[subject] = (tokens - 1.0 if allowed else tokens, now)
        if len(self._buckets) > MAX_TRACKED:
            self._buckets.popitem(last=False)
        return None if allowed else (1.0 - tokens) / self.per_second
