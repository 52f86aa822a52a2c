"""The saga's long retries, hours of them, in seconds of real time on the time-skipping server.

At each point in simulated time (`env.sleep` moves the clock) the test asks the workflow where it
stands and reads, from the stand-ins' records, when each attempt started: the backoff between
attempts is the retry policy's, capped, until the deadline (if the policy has one).
"""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import WorkflowExecutionStatus
from temporalio.common import RetryPolicy
from temporalio.testing import WorkflowEnvironment

from orders.errors import Undeliverable
from orders.events import OrderCompleted, OrderFailed
from orders.models import OrderStatus, Outcome, StepRecord
from orders.temporal import ActivityName
from tests.integration.orders import poll, state
from tests.integration.participants import new_order
from tests.stand_ins import StandIns
from tests.timeskip.orders import backoff, cap, running, seconds
from workflows.policies import (
    PUBLISH_ATTEMPT_TIMEOUT,
    PUBLISH_RETRY,
    STEP_ATTEMPT_TIMEOUT,
    STEP_DEADLINE,
    STEP_RETRY,
    UNDO_ATTEMPT_TIMEOUT,
    UNDO_DEADLINE,
    UNDO_RETRY,
)

CHARGE = ActivityName.CHARGE_PAYMENT
REFUND = ActivityName.REFUND_PAYMENT
PUBLISH = ActivityName.PUBLISH_EVENT
STEPS = (ActivityName.RESERVE_INVENTORY, CHARGE, ActivityName.SCHEDULE_SHIPMENT)
UNDOS = (ActivityName.RELEASE_INVENTORY, REFUND, ActivityName.CANCEL_SHIPMENT)
UNDELIVERABLE = {ActivityName.SCHEDULE_SHIPMENT: Undeliverable("not there", {"country": "AQ"})}
NO_DEADLINE = timedelta(days=365)
EXECUTION_SLACK = 1.0
"""Seconds an attempt may add to the gap after it: the stand-ins answer in milliseconds, but the
test server's clock runs at wall speed while an attempt is under way, however slow the machine."""


def outcomes(records: list[StepRecord]) -> list[tuple[str, Outcome]]:
    return [(record.name, record.outcome) for record in records]


def assert_backoff(gaps: list[float], expected: list[float]) -> None:
    assert len(gaps) == len(expected)
    for gap, wait in zip(gaps, expected, strict=True):
        assert wait <= gap <= wait + EXECUTION_SLACK, (gaps, expected)


async def test_a_refund_that_keeps_failing_retries_for_a_day_then_is_left_to_an_operator(
    env: WorkflowEnvironment,
) -> None:
    stand_ins = StandIns(refusals=UNDELIVERABLE, unavailable=[REFUND])
    order = new_order()
    async with running(env, stand_ins, order) as handle:
        await poll(lambda: stand_ins.attempts[REFUND], what="the first refund attempt")

        await env.sleep(timedelta(hours=1))
        now = await state(handle)
        assert now.status is OrderStatus.COMPENSATING
        assert outcomes(now.compensations) == [
            ("cancel_shipment", Outcome.SUCCEEDED),
            ("refund_payment", Outcome.RUNNING),
        ]
        gaps = stand_ins.gaps(REFUND)
        assert_backoff(gaps, backoff(UNDO_RETRY, len(gaps)))  # 1 s, 2 s, 4 s … capped at 2 min
        assert 25 < len(gaps) < 40  # an hour of it: the cap, not the doubling, sets the pace

        await env.sleep(timedelta(hours=22))
        assert (await state(handle)).status is OrderStatus.COMPENSATING
        gaps = stand_ins.gaps(REFUND)
        assert_backoff(gaps, backoff(UNDO_RETRY, len(gaps)))

        await env.sleep(timedelta(hours=2))  # the rest of the day goes by
        result = await state(handle)
        assert (await handle.describe()).status is WorkflowExecutionStatus.RUNNING

    assert result.status is OrderStatus.COMPENSATION_FAILED  # waiting for an operator
    assert result.left_to_undo == ["refund_payment"]
    assert outcomes(result.compensations) == [
        ("cancel_shipment", Outcome.SUCCEEDED),
        ("refund_payment", Outcome.FAILED),
        ("release_inventory", Outcome.SUCCEEDED),  # a refund given up on does not block the rest
    ]
    refund = result.compensations[1]
    assert refund.finished_at is not None
    tried_for = seconds(refund.finished_at - refund.started_at)
    assert seconds(UNDO_DEADLINE - cap(UNDO_RETRY)) <= tried_for <= seconds(UNDO_DEADLINE)
    assert refund.detail is not None and "did not succeed in time" in refund.detail

    [event] = stand_ins.published  # the customer hears, operators get a signal
    assert isinstance(event, OrderFailed)
    assert event.data.failure_type == "Undeliverable"
    assert event.data.left_to_undo == ["refund_payment"]
    assert event.data.compensations == ["cancel_shipment", "release_inventory"]


async def test_a_refund_back_after_hours_succeeds_and_the_order_is_failed_cleanly(
    env: WorkflowEnvironment,
) -> None:
    stand_ins = StandIns(refusals=UNDELIVERABLE, unavailable=[REFUND])
    async with running(env, stand_ins, new_order()) as handle:
        await poll(lambda: stand_ins.attempts[REFUND], what="the first refund attempt")
        await env.sleep(timedelta(hours=5))
        assert (await state(handle)).status is OrderStatus.COMPENSATING

        stand_ins.unavailable.discard(REFUND)  # the payment service is back
        result = await handle.result()

    assert result.status is OrderStatus.FAILED
    assert result.left_to_undo == []
    refund = result.compensations[1]
    assert (refund.name, refund.outcome) == ("refund_payment", Outcome.SUCCEEDED)
    assert refund.attempts == len(stand_ins.attempts[REFUND]) > 100  # five hours of them
    [event] = stand_ins.published
    assert isinstance(event, OrderFailed) and event.data.left_to_undo == []


async def test_a_step_that_keeps_failing_retries_until_its_deadline_then_is_compensated(
    env: WorkflowEnvironment,
) -> None:
    stand_ins = StandIns(unavailable=[CHARGE])
    async with running(env, stand_ins, new_order()) as handle:
        await poll(lambda: stand_ins.attempts[CHARGE], what="the first charge attempt")

        await env.sleep(timedelta(minutes=2))
        now = await state(handle)
        assert now.status is OrderStatus.CHARGING_PAYMENT
        assert outcomes(now.steps)[-1] == ("charge_payment", Outcome.RUNNING)
        gaps = stand_ins.gaps(CHARGE)
        assert_backoff(gaps, backoff(STEP_RETRY, len(gaps)))  # 0.5 s, 1 s … capped at 10 s

        result = await handle.result()

    assert result.status is OrderStatus.FAILED
    assert result.failure is not None
    assert (result.failure.type, result.failure.step) == ("StepTimedOut", "charge_payment")
    charge = result.steps[-1]
    assert charge.finished_at is not None
    tried_for = seconds(charge.finished_at - charge.started_at)
    assert seconds(STEP_DEADLINE - cap(STEP_RETRY)) <= tried_for <= seconds(STEP_DEADLINE)
    assert outcomes(result.compensations) == [
        ("refund_payment", Outcome.SUCCEEDED),
        ("release_inventory", Outcome.SUCCEEDED),
    ]
    [event] = stand_ins.published
    assert isinstance(event, OrderFailed) and event.data.failure_type == "StepTimedOut"


async def test_the_closing_fact_is_published_when_the_bus_is_back_hours_later(
    env: WorkflowEnvironment,
) -> None:
    stand_ins = StandIns(unavailable=[PUBLISH])
    order = new_order()
    async with running(env, stand_ins, order) as handle:
        await poll(lambda: stand_ins.attempts[PUBLISH], what="the first publish attempt")

        await env.sleep(timedelta(hours=3))
        now = await state(handle)
        assert now.status is OrderStatus.COMPLETED  # the order stands while its event waits
        assert now.compensations == [] and now.events == []
        assert (await handle.describe()).status is WorkflowExecutionStatus.RUNNING
        gaps = stand_ins.gaps(PUBLISH)
        assert_backoff(gaps, backoff(PUBLISH_RETRY, len(gaps)))  # 1 s … capped at 30 s
        assert len(gaps) > 300

        stand_ins.unavailable.discard(PUBLISH)  # NATS is back
        result = await handle.result()

    assert result.status is OrderStatus.COMPLETED
    assert result.events == [f"orders.order.completed.v1:{order.order_id}"]
    [event] = stand_ins.published
    assert isinstance(event, OrderCompleted)


async def test_every_attempt_is_bounded_and_retried_by_its_policy(env: WorkflowEnvironment) -> None:
    """The attempt timeouts, read from the run's history rather than waited out.

    The test server keeps its clock at wall speed while an attempt is running (which is when an
    attempt timeout counts), so a hung attempt would cost its full 15 or 30 real seconds. What
    the workflow decides is which timeout and policy each activity gets: the history says it.
    """
    stand_ins = StandIns(
        refusals=UNDELIVERABLE
    )  # every kind of activity runs: steps, undos, publish
    async with running(env, stand_ins, new_order()) as handle:
        assert (await handle.result()).status is OrderStatus.FAILED
        history = await handle.fetch_history()

    expected = {
        **dict.fromkeys(STEPS, (STEP_ATTEMPT_TIMEOUT, STEP_DEADLINE, STEP_RETRY)),
        **dict.fromkeys(UNDOS, (UNDO_ATTEMPT_TIMEOUT, UNDO_DEADLINE, UNDO_RETRY)),
        PUBLISH: (PUBLISH_ATTEMPT_TIMEOUT, None, PUBLISH_RETRY),  # no deadline: until it lands
    }
    scheduled = {}
    for event in history.events:
        if event.HasField("activity_task_scheduled_event_attributes"):
            attributes = event.activity_task_scheduled_event_attributes
            deadline = attributes.schedule_to_close_timeout.ToTimedelta()
            scheduled[attributes.activity_type.name] = (
                attributes.start_to_close_timeout.ToTimedelta(),
                deadline if deadline < NO_DEADLINE else None,  # the server's "as long as the run"
                RetryPolicy.from_proto(attributes.retry_policy),
            )
    assert scheduled == expected
