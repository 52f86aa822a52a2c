"""Retry policies and timeouts of the order saga, in one place so their trade-offs read together."""

from __future__ import annotations

from datetime import timedelta

from temporalio.common import RetryPolicy

# Forward steps retry transient faults for a bounded time; past it the order fails and is undone.
STEP_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=500),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=10),
)
STEP_ATTEMPT_TIMEOUT = timedelta(seconds=30)
STEP_DEADLINE = timedelta(minutes=5)

# An undo must not give up while the participant may come back: it retries for a day with capped
# backoff. Only a definite refusal, or the day running out, leaves it to an operator.
UNDO_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=2),
)
UNDO_ATTEMPT_TIMEOUT = timedelta(seconds=30)
UNDO_DEADLINE = timedelta(hours=24)

# The closing fact is published until the bus takes it: a completed order is never undone
# because NATS is down, and its event is late rather than lost.
PUBLISH_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30),
)
PUBLISH_ATTEMPT_TIMEOUT = timedelta(seconds=15)
