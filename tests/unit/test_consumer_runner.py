"""The fetch loop: a fetch that finds nothing in time is not a failure, however nats-py says so."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import nats.errors
import pytest
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

from workers.consumer.delivery import Delivery
from workers.consumer.metrics import ConsumerMetrics
from workers.consumer.runner import ConsumerRunner


class EmptyStream:
    """A pull subscription on an empty stream: each fetch times out, raising `timeouts` in turn."""

    def __init__(self, runner: ConsumerRunner, timeouts: list[BaseException]) -> None:
        self.runner = runner
        self.timeouts = timeouts
        self.fetches = 0

    async def fetch(self, batch: int, **options: float) -> list[Any]:
        self.fetches += 1
        if self.fetches == len(self.timeouts):
            self.runner._stopping.set()
        raise self.timeouts[self.fetches - 1]


@pytest.mark.parametrize(
    "nothing",
    [nats.errors.TimeoutError(), TimeoutError()],
    ids=["nats TimeoutError", "a bare asyncio.TimeoutError (fetch's own deadline)"],
)
async def test_a_fetch_that_finds_nothing_keeps_the_binding(nothing: BaseException) -> None:
    async def probe() -> None:
        pass

    nc = cast(NATS, SimpleNamespace(jetstream=lambda: None, is_connected=True))
    delivery = cast(Delivery, SimpleNamespace(probe=probe))
    runner = ConsumerRunner("loyalty", nc, delivery, ConsumerMetrics("loyalty"))
    sub = EmptyStream(runner, [nothing, nothing, nothing])

    # It went on fetching (and returned when stopped) instead of raising, which unbinds the
    # consumer, pauses and binds it again.
    await runner._consume(cast(JetStreamContext.PullSubscription, sub))
    assert sub.fetches == 3
