"""The saga's retry policies, timeouts and undos, in one place so their trade-offs read together."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio.common import RetryPolicy

from orders.models import Compensation
from orders.temporal import ActivityName

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


@dataclass(frozen=True)
class Undo:
    """What undoes a forward step: the compensation's name and the activity that runs it.

    Defined here, outside the workflow's module, because the sandbox re-imports that module for
    every workflow run; a module it passes through is imported once.
    """

    name: Compensation
    activity: ActivityName


RELEASE = Undo(Compensation.RELEASE_INVENTORY, ActivityName.RELEASE_INVENTORY)
REFUND = Undo(Compensation.REFUND_PAYMENT, ActivityName.REFUND_PAYMENT)
CANCEL_SHIPMENT = Undo(Compensation.CANCEL_SHIPMENT, ActivityName.CANCEL_SHIPMENT)
