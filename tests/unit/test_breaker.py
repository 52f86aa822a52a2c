"""The circuit breaker and the keep-alive of a batch, on fakes: when the breaker opens, how it
probes, when it closes; which messages the keep-alive holds."""

from __future__ import annotations

import asyncio
from typing import cast

import pytest
from nats.aio.msg import Msg

from tests.integration.orders import poll
from workers.consumer.breaker import Breaker
from workers.consumer.holding import KeepAlive


class Gauge:
    def __init__(self) -> None:
        self.value: float | None = None

    def set(self, value: float) -> None:
        self.value = value


class Dependency:
    """A probe that fails until `up` is set, counting its calls."""

    def __init__(self) -> None:
        self.up = False
        self.probes = 0

    async def probe(self) -> None:
        self.probes += 1
        if not self.up:
            raise ConnectionRefusedError("smtp down")


def breaker(dependency: Dependency, gauge: Gauge, **kwargs: float) -> Breaker:
    options = {"threshold": 3, "probe_base_seconds": 0.01, "probe_cap_seconds": 0.04} | kwargs
    return Breaker("test", dependency.probe, gauge, **options)  # type: ignore[arg-type]


def test_the_breaker_opens_after_threshold_dependency_failures_in_a_row() -> None:
    gauge = Gauge()
    b = breaker(Dependency(), gauge)
    assert gauge.value == 0
    b.failure("down")
    b.failure("down")
    b.success()  # a message applied in between: not "in a row"
    b.failure("down")
    b.failure("down")
    assert not b.is_open and gauge.value == 0
    b.failure("dependency down: ConnectionRefusedError")
    assert b.is_open
    assert b.reason == "dependency down: ConnectionRefusedError"
    assert gauge.value == 1


async def test_an_open_breaker_probes_with_capped_backoff_and_closes_once_a_probe_passes() -> None:
    gauge, dependency = Gauge(), Dependency()
    b = breaker(dependency, gauge, threshold=1)
    b.failure("down")
    assert [b.probe_delay] == [0.01]
    waiting = asyncio.create_task(b.wait_closed(asyncio.Event()))
    await poll(lambda: dependency.probes >= 4, what="four probes", within=5)
    assert b.is_open and gauge.value == 1 and not waiting.done()
    assert "ConnectionRefusedError" in (b.reason or "")
    assert b.probe_delay == 0.04  # 0.01 doubled, capped at 0.04
    dependency.up = True
    await asyncio.wait_for(waiting, 5)
    assert not b.is_open and b.reason is None and gauge.value == 0


async def test_a_stop_ends_the_wait_of_an_open_breaker() -> None:
    b = breaker(Dependency(), Gauge(), threshold=1, probe_base_seconds=60, probe_cap_seconds=60)
    b.failure("down")
    stopping = asyncio.Event()
    waiting = asyncio.create_task(b.wait_closed(stopping))
    stopping.set()
    await asyncio.wait_for(waiting, 5)
    assert b.is_open


def test_a_breaker_needs_a_threshold() -> None:
    with pytest.raises(ValueError, match="threshold"):
        breaker(Dependency(), Gauge(), threshold=0)


class HeldMsg:
    def __init__(self) -> None:
        self.progress = 0

    async def in_progress(self) -> None:
        self.progress += 1


async def test_the_keepalive_sends_in_progress_for_each_message_not_yet_settled() -> None:
    msgs = [HeldMsg() for _ in range(3)]
    async with KeepAlive(cast(list[Msg], msgs), ack_wait=0.03) as held:
        held.release(cast(Msg, msgs[0]))  # settled at once
        await poll(lambda: min(msgs[1].progress, msgs[2].progress) >= 3, what="pings", within=5)
        held.release(cast(Msg, msgs[1]))
        before, pinged = msgs[1].progress, msgs[2].progress
        await poll(lambda: msgs[2].progress >= pinged + 3, what="more pings", within=5)
        assert held.held == [cast(Msg, msgs[2])]
    assert msgs[0].progress == 0
    assert msgs[1].progress == before  # released: no more pings
    after = msgs[2].progress
    await asyncio.sleep(0.05)
    assert msgs[2].progress == after  # the batch is over: the keep-alive stopped


def test_the_keepalive_pings_three_times_per_ack_wait() -> None:
    assert KeepAlive([], ack_wait=30).interval == 10
