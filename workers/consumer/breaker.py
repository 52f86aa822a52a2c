"""The circuit breaker of one consumer: stop fetching while its own dependency is down.

```
closed ──(threshold dependency failures in a row)──▶ open ──(probe passes)──▶ closed
  ▲  a message applied resets the count                │ probe fails: wait, probe again
  └────────────────────────────────────────────────────┘ (base · 2^n, capped)
```

While open the consumer fetches nothing, so an outage of hours spends no delivery attempts: the
messages wait in the stream. The probe asks the dependency itself (the database's `SELECT 1`, the
mail server's `NOOP`), not a message. A breaker that opens again right after closing (the probe
passes but handling still fails) resumes its backoff where it left off rather than from the
start; a message applied resets it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

from workers.consumer.deadletter import describe

logger = logging.getLogger(__name__)


class Gauge(Protocol):
    def set(self, value: float) -> None: ...


class Breaker:
    def __init__(
        self,
        name: str,
        probe: Callable[[], Awaitable[None]],
        gauge: Gauge,
        *,
        threshold: int = 5,
        probe_base_seconds: float = 1.0,
        probe_cap_seconds: float = 60.0,
    ) -> None:
        if threshold < 1:
            raise ValueError("threshold must be at least 1")
        self.name = name
        self.probe = probe
        self.gauge = gauge
        self.threshold = threshold
        self.probe_base_seconds = probe_base_seconds
        self.probe_cap_seconds = probe_cap_seconds
        self.consecutive = 0
        """Dependency failures since the last success."""
        self.reason: str | None = None
        """Why the breaker is open (the last dependency failure, then the last probe's), or None."""
        self.opened_at: float | None = None
        self.probes = 0
        """Probes run since the last message applied: where the backoff resumes."""
        gauge.set(0)

    @property
    def is_open(self) -> bool:
        return self.reason is not None

    def success(self) -> None:
        """A message was applied: the dependency answers."""
        self.consecutive = 0
        self.probes = 0

    def failure(self, reason: str) -> None:
        """Applying a message failed because the dependency did not answer."""
        self.consecutive += 1
        if not self.is_open and self.consecutive >= self.threshold:
            self.reason = reason
            self.opened_at = time.monotonic()
            self.gauge.set(1)
            logger.warning(
                "%s: circuit breaker open after %d dependency failures in a row (%s): "
                "fetching stops until the dependency answers",
                self.name,
                self.consecutive,
                reason,
            )

    @property
    def probe_delay(self) -> float:
        """Seconds before the next probe."""
        exponent = min(self.probes, 30)
        return float(min(self.probe_base_seconds * 2**exponent, self.probe_cap_seconds))

    async def wait_closed(self, stopping: asyncio.Event) -> None:
        """Probe with capped backoff until the dependency answers (closed) or `stopping` is set."""
        while self.is_open and not stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), self.probe_delay)
            if stopping.is_set():
                return
            self.probes += 1
            try:
                await self.probe()
            except Exception as exc:
                self.reason = f"dependency down: {describe(exc)}"
                delay = self.probe_delay
                logger.info("%s: probe failed (%s); next in %.0fs", self.name, exc, delay)
                continue
            self._close()

    def _close(self) -> None:
        opened = self.opened_at or time.monotonic()
        logger.warning(
            "%s: circuit breaker closed: the dependency answers again after %.0fs; "
            "fetching resumes",
            self.name,
            time.monotonic() - opened,
        )
        self.reason = None
        self.opened_at = None
        self.consecutive = 0
        self.gauge.set(0)
