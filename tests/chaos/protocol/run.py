"""What one run of the model shares across its examples: the bridge from the machine's thread
to the test's event loop, the world it acts on, the seed, and the tally it ends with."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import time
from collections import Counter
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tests.chaos.protocol.world import World

T = TypeVar("T")
log = logging.getLogger("protocol")

CALL_BOUND = 120.0
"""Seconds any one coroutine of the machine may take: every one of them is bounded well below
it (a wait, an API call, a worker's start or stop), so past it something hangs."""


class Bridge:
    """Runs the stack's coroutines on the test's event loop for the machine's thread:
    hypothesis's rules are synchronous, the clients are the loop's."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def __call__(self, coro: Coroutine[Any, Any, T], timeout: float = CALL_BOUND) -> T:
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise AssertionError(f"a call of the model took more than {timeout:.0f}s") from None


@dataclass
class Run:
    bridge: Bridge
    world: World
    seed: int
    knobs: dict[str, str] = field(default_factory=dict)
    """The other variables the draws depend on (`PROTOCOL_EXAMPLES`, `PROTOCOL_STEPS`)."""
    examples: int = 0
    tally: Counter[str] = field(default_factory=Counter)
    started: float = field(default_factory=time.monotonic)

    def begin_example(self) -> int:
        self.examples += 1
        return self.examples

    def reproduce(self) -> str:
        env = " ".join(f"{name}={value}" for name, value in self.knobs.items())
        return (
            f"PROTOCOL_SEED={self.seed} reproduces this run's draws: PROTOCOL_SEED={self.seed} "
            f"{env} .venv/bin/pytest tests/chaos/test_order_protocol.py"
        )

    def explain(self, exc: BaseException, example: int, steps: list[str]) -> None:
        """Attach the seed and the example's steps, as they ran and what they were answered,
        to a failure: hypothesis prints its own steps only for a failure that replays."""
        if getattr(exc, "_protocol_explained", False):
            return
        exc._protocol_explained = True  # type: ignore[attr-defined]
        exc.add_note(self.reproduce())
        exc.add_note(f"example {example}, as it ran:\n  " + "\n  ".join(steps))
        log.error("protocol model failed: %s; %s", exc, self.reproduce())

    def summary(self) -> str:
        tally = ", ".join(f"{name} {count}" for name, count in sorted(self.tally.items()))
        elapsed = time.monotonic() - self.started
        return f"{self.examples} examples in {elapsed:.0f}s, seed {self.seed}: {tally}"
