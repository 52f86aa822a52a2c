"""Callers waiting on one order share one bounded `settled` update (api.waiting.Watches)."""

from __future__ import annotations

import asyncio
import time

import pytest
from temporalio.client import WorkflowUpdateRPCTimeoutOrCancelledError

from api.waiting import MAX_WATCHES_PER_ORDER, TooManyWatches, Watches
from orders.models import OrderState, OrderStatus
from tests.integration.orders import poll


def state(status: OrderStatus) -> OrderState:
    return OrderState(order_id="o-1", customer_id="c", status=status, currency="USD", items=[])


class FakeOrder:
    """The workflow's `settled` update: each call waits until settled or its wait is up."""

    def __init__(self) -> None:
        self.settled = asyncio.Event()
        self.calls: list[tuple[str, float]] = []
        self.in_flight = 0
        self.most_in_flight = 0

    async def update(self, update_id: str, seconds: float) -> OrderState:
        self.calls.append((update_id, seconds))
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.wait_for(self.settled.wait(), seconds)
            return state(OrderStatus.COMPLETED)
        except TimeoutError:
            return state(OrderStatus.SCHEDULING_SHIPMENT)
        finally:
            self.in_flight -= 1


async def test_fifty_callers_share_one_update_and_all_see_the_order_settle() -> None:
    watches, order = Watches(max_wait=60), FakeOrder()
    deadline = time.monotonic() + 30
    callers = [
        asyncio.ensure_future(watches.wait("o-1", "fp", deadline, order.update)) for _ in range(50)
    ]
    await poll(lambda: order.in_flight == 1, what="the update in flight")

    order.settled.set()
    results = await asyncio.gather(*callers)

    assert {result.status for result in results if result} == {OrderStatus.COMPLETED}
    assert len(order.calls) == 1 and order.most_in_flight == 1
    assert watches.in_flight("o-1") == 0


async def test_a_caller_leaves_at_its_deadline_and_the_update_follows_the_latest() -> None:
    watches, order = Watches(max_wait=60), FakeOrder()
    now = time.monotonic()
    early = asyncio.ensure_future(watches.wait("o-1", "fp", now + 0.2, order.update))
    await poll(lambda: order.in_flight == 1, what="the first update in flight")
    late = asyncio.ensure_future(watches.wait("o-1", "fp", now + 0.6, order.update))

    assert await early is None  # unsettled at its deadline: the caller reads the order itself
    assert not late.done()
    assert await late is None
    # The first update waited for the first caller; the next one for what the later had left.
    assert len(order.calls) == 2 and order.most_in_flight == 1
    assert order.calls[1][1] < 0.6
    await poll(lambda: watches.in_flight("o-1") == 0, what="the watch ended")


async def test_a_wait_is_capped() -> None:
    watches, order = Watches(max_wait=0.1), FakeOrder()
    await watches.wait("o-1", "fp", time.monotonic() + 0.35, order.update)
    assert all(seconds <= 0.1 for _, seconds in order.calls)


async def test_bodies_of_one_order_have_watches_of_their_own_up_to_a_bound() -> None:
    watches, order = Watches(max_wait=60), FakeOrder()
    deadline = time.monotonic() + 30
    callers = [
        asyncio.ensure_future(watches.wait("o-1", f"fp-{n}", deadline, order.update))
        for n in range(MAX_WATCHES_PER_ORDER)
    ]
    await poll(lambda: order.in_flight == MAX_WATCHES_PER_ORDER, what="one update per body")

    with pytest.raises(TooManyWatches):
        await watches.wait("o-1", "fp-more", deadline, order.update)
    order.settled.set()
    await asyncio.gather(*callers)


async def test_an_update_no_worker_took_is_sent_again_under_its_id() -> None:
    watches = Watches(max_wait=60)
    ids: list[str] = []

    async def no_worker(update_id: str, seconds: float) -> OrderState:
        ids.append(update_id)
        raise WorkflowUpdateRPCTimeoutOrCancelledError()

    deadline = time.monotonic() + 30
    for _ in range(3):
        with pytest.raises(WorkflowUpdateRPCTimeoutOrCancelledError):
            await watches.wait("o-1", "fp", deadline, no_worker)
    assert len(ids) == 3 and len(set(ids)) == 1

    async def worker_back(update_id: str, seconds: float) -> OrderState:
        ids.append(update_id)
        return state(OrderStatus.COMPLETED)

    await watches.wait("o-1", "fp", deadline, worker_back)
    await watches.wait("o-1", "fp", deadline, worker_back)
    assert ids[3] == ids[0]  # the admitted one, answered at last
    assert ids[4] != ids[0]  # then a fresh one


class Clock:
    """The monotonic clock of `api.waiting`, moved by hand; the event loop keeps its own."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.mark.xfail(
    strict=True,
    reason="defect: a watch that ends unsettled cancels its future, and a caller whose own "
    "timer has not fired yet is answered with CancelledError instead of None",
)
async def test_a_caller_whose_watch_ends_unsettled_before_its_timer_fires_answers_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = Clock()
    monkeypatch.setattr("api.waiting.time", clock)
    watches = Watches(max_wait=60)

    async def unsettled_as_the_wait_runs_out(update_id: str, seconds: float) -> OrderState:
        # On a loaded machine the update's answer and the deadline come in one turn of the
        # loop: the watch sees its deadline passed before the caller's own timeout fires.
        clock.now += seconds
        return state(OrderStatus.SCHEDULING_SHIPMENT)

    wait = watches.wait("o-1", "fp", clock.now + 0.5, unsettled_as_the_wait_runs_out)
    [answer] = await asyncio.gather(wait, return_exceptions=True)

    assert answer is None, f"the caller was answered {answer!r}"
