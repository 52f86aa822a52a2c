"""What every rule of the machine stands on: its state (orders, faults, the worker), the step
log, the bridge to the stack, every API answer checked as it comes, and the operator who heals
what has lasted long enough.

Two bounds keep the model inside what the system promises rather than testing its deadlines:
a step retries transient faults for 5 minutes and an undo backs off up to 2, so every fault and
every stop of the worker is healed within `FAULT_LIFETIME`; and the machine has one request in
flight at a time, well under the server's 10 updates per workflow.
"""

from __future__ import annotations

import functools
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine

from tests.chaos.protocol.answers import Answer, check
from tests.chaos.protocol.bodies import Body
from tests.chaos.protocol.model import Naming, OrderModel
from tests.chaos.protocol.observer import Observer
from tests.chaos.protocol.run import Run, log

FAULT_LIFETIME = 60.0
"""Seconds a fault, or a stopped worker, lasts before the operator heals it."""
WORKER_WARMUP = 15.0
"""Seconds after a start in which a worker may still miss a cancel's 10 s (it polls again, and
replays the open orders, first); past them a `worker_unavailable` is a violation."""


def step(rule_body: Callable[..., None]) -> Callable[..., None]:
    """Every rule: the operator first, then the rule, logged with what it was answered."""

    @functools.wraps(rule_body)
    def run_step(self: MachineBase, **kwargs: Any) -> None:
        self.operator()
        shown = ", ".join(f"{k}={v!r}" for k, v in kwargs.items() if k != "data")
        self.say(f"{rule_body.__name__}({shown})")
        self.guarded(lambda: rule_body(self, **kwargs))

    return run_step


class MachineBase(RuleBasedStateMachine):
    def __init__(self, run: Run) -> None:
        super().__init__()
        self.run = run
        self.world = run.world
        self.example = run.begin_example()
        # The audit's window; reaching a little into the last example re-audits settled orders.
        self.since = datetime.now(UTC) - timedelta(seconds=1)
        self.begun = time.monotonic()
        self.orders: list[OrderModel] = []
        self.faults: dict[str, tuple[dict[str, Any], float]] = {}
        """Service → its faults, and when they were set."""
        self.worker_down_since: float | None = None
        self.worker_started_at = float("-inf")
        self.steps: list[str] = []
        self.failed = False
        self.observer = Observer(self)
        self.run.bridge(self.world.restock())

    def say(self, text: str) -> None:
        line = f"{time.monotonic() - self.begun:6.1f}s {text}"
        self.steps.append(line)
        log.info("example %d: %s", self.example, text)

    def guarded(self, action: Callable[[], None]) -> None:
        """Run `action`; a failure marks the example failed and carries its seed and steps."""
        try:
            action()
        except BaseException as exc:
            self.failed = True
            self.run.explain(exc, self.example, self.steps)
            raise

    def call(self, coro: Any) -> Any:
        return self.run.bridge(coro)

    def api(self, method: str, path: str, *, quiet: bool = False, **kwargs: Any) -> Answer:
        """One API call, checked as any answer must be; `quiet` leaves it out of the steps
        (reads after every step: their caller says what they showed that was new)."""
        steady = self.worker_steady
        answer: Answer = self.call(self.world.call(method, path, **kwargs))
        if not quiet or answer.status != 200:
            self.say(f"  {answer.request} → {answer}")
        check(answer, worker_steady=steady and self.worker_steady)
        if answer.refused:
            self.run.tally[f"503 {answer.code}"] += 1
        return answer

    @property
    def worker_steady(self) -> bool:
        up = self.worker_down_since is None
        return up and time.monotonic() - self.worker_started_at > WORKER_WARMUP

    @property
    def lost_answers(self) -> int:
        """Orders whose placing was refused before any answer named them: they may exist."""
        return sum(1 for o in self.orders if o.maybe_placed and o.order_id is None)

    def operator(self) -> None:
        """Heal what has lasted long enough: the system's own deadlines are not the point."""
        now = time.monotonic()
        for service, (_, since) in list(self.faults.items()):
            if now - since > FAULT_LIFETIME:
                self.say(f"operator heals {service}")
                self.heal(service)
        if self.worker_down_since is not None and now - self.worker_down_since > FAULT_LIFETIME:
            self.say("operator starts the worker")
            self.start_the_worker()

    def set_faults(self, service: str, faults: dict[str, Any]) -> None:
        self.call(self.world.set_faults(service, faults))
        self.faults[service] = (faults, time.monotonic())

    def heal(self, service: str) -> None:
        self.call(self.world.clear_faults(service))
        self.faults.pop(service, None)

    def start_the_worker(self) -> None:
        self.call(self.world.start_worker())
        self.worker_down_since = None
        self.worker_started_at = time.monotonic()

    def new_order(self, naming: Naming, body: Body, key: str | None = None) -> OrderModel:
        order = OrderModel(len(self.orders) + 1, naming, body, key=key)
        tag = f"proto-{self.example}-{order.number}-{uuid.uuid4().hex[:6]}"
        if naming is Naming.KEY and key is None:
            order.key = tag
        if naming is Naming.ID:
            order.order_id = tag
        self.orders.append(order)
        return order

    def pick(self, data: st.DataObject, orders: list[OrderModel]) -> OrderModel:
        order: OrderModel = data.draw(st.sampled_from(orders), label="order")
        self.say(f"  the order: {order!r}")
        return order

    def cancellable(self) -> list[OrderModel]:
        return [o for o in self.orders if o.order_id is not None and o.exists]
