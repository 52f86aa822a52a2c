"""The order protocol, model-based: hypothesis draws interleavings of what clients and operators
do (`tests/chaos/protocol/machine.py`) against the whole local stack as processes, checks every
answer and every order against a model of what was asked after each step, and ends each example
with a quiet system and a clean `orders audit`.

`make test` runs the short form (`PROTOCOL_EXAMPLES` examples of `PROTOCOL_STEPS` steps, 6 by 15);
`make chaos` a long one. `PROTOCOL_SEED` fixes the draws: by default a random seed, logged at
the start and attached to a failure with the steps as they ran. Shrinking is off, since every
example costs real processes seconds to a minute and a replay is only as deterministic as their
timing; `PROTOCOL_SHRINK=1` turns it on. `database=None`: no example database is kept (hypothesis
still caches source constants in the git-ignored `.hypothesis/`, as for every property test).
"""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import cast

import httpx
import pytest
from hypothesis import HealthCheck, Phase, seed, settings
from hypothesis.stateful import run_state_machine_as_test

from orders.temporal import connect
from tests.chaos.protocol.machine import ProtocolMachine
from tests.chaos.protocol.run import Bridge, Run, log
from tests.chaos.protocol.world import World
from tests.chaos.stack import ChaosStack
from tools.stack.settings import SERVICES

EXAMPLES = int(os.environ.get("PROTOCOL_EXAMPLES", "6"))
STEPS = int(os.environ.get("PROTOCOL_STEPS", "15"))
SEED = int(os.environ.get("PROTOCOL_SEED") or random.randrange(2**32))
SHRINK = os.environ.get("PROTOCOL_SHRINK") == "1"
SECONDS_PER_STEP = 10
"""What a step may cost at worst, for the test's timeout: a cancel with no worker takes 10 s."""
SECONDS_PER_EXAMPLE = 300
"""Beyond its steps: healed orders settling, the consumers catching up, the audit."""


def protocol_settings() -> settings:
    phases = [Phase.explicit, Phase.generate, *([Phase.shrink] if SHRINK else [])]
    return settings(
        max_examples=EXAMPLES,
        stateful_step_count=STEPS,
        deadline=None,
        database=None,
        phases=phases,
        # Every step is real I/O: slow by design; the draws are small.
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[ChaosStack]:
    chaos = ChaosStack(tmp_path / "data")
    try:
        await chaos.start_all()
        yield chaos
    finally:
        chaos.stop_all()


@pytest.fixture
async def world(stack: ChaosStack) -> AsyncIterator[World]:
    async with AsyncExitStack() as clients:

        async def client(name: str) -> httpx.AsyncClient:
            return await clients.enter_async_context(
                httpx.AsyncClient(base_url=stack.url(name), headers=stack.headers(name), timeout=30)
            )

        services = {name: await client(name) for name in SERVICES}
        temporal = await connect(target_host=stack.temporal)
        yield World(stack, await client("api"), services, temporal)


@pytest.mark.timeout(EXAMPLES * (STEPS * SECONDS_PER_STEP + SECONDS_PER_EXAMPLE) + 120)
async def test_orders_keep_the_protocol_whatever_clients_and_operators_do(world: World) -> None:
    knobs = {"PROTOCOL_EXAMPLES": str(EXAMPLES), "PROTOCOL_STEPS": str(STEPS)}
    run = Run(Bridge(asyncio.get_running_loop()), world, SEED, knobs)
    log.warning("protocol model: %d examples of %d steps; %s", EXAMPLES, STEPS, run.reproduce())

    def machine() -> ProtocolMachine:
        return ProtocolMachine(run)

    try:
        # Hypothesis's rules are synchronous: the machine runs in a thread and hands the
        # stack's coroutines to this loop (`Bridge`), which stays free to run them.
        # Typed as taking the class, documented as taking any factory of a machine.
        factory = cast(type[ProtocolMachine], seed(SEED)(machine))
        await asyncio.to_thread(run_state_machine_as_test, factory, settings=protocol_settings())
    except BaseException as exc:
        if not getattr(exc, "_protocol_explained", False):
            exc.add_note(run.reproduce())
        raise
    finally:
        log.warning("protocol model: %s", run.summary())
