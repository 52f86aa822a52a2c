"""What operators do: cancel an order through Temporal (the Web UI's button), make a participant
misbehave (latency, errors, a commit answered 503, a hold) and heal it, and stop the
orchestrator worker (SIGTERM, or SIGKILL) and start it again."""

from __future__ import annotations

import time
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from tests.chaos.protocol.base import MachineBase, step
from tests.chaos.protocol.model import OrderModel
from tools.stack.settings import SERVICES

FAULTS = st.one_of(
    st.sampled_from([{"latency_ms": ms} for ms in (200, 800, 1500)]),
    st.sampled_from([{"error_rate": rate} for rate in (0.3, 0.7, 1.0)]),
    st.just({"fail_after_commit": True}),
    st.just({"hold": True}),
)


class OperatorRules(MachineBase):
    def cancel_through_the_temporal_ui(self, order: OrderModel) -> None:
        assert order.order_id is not None
        self.say(f"  Temporal: {self.call(self.world.temporal_cancel(order.order_id))}")
        order.temporal_cancels += 1

    @precondition(lambda self: self.cancellable())
    @rule(data=st.data())
    @step
    def cancel_through_temporal(self, data: st.DataObject) -> None:
        self.cancel_through_the_temporal_ui(self.pick(data, self.cancellable()))

    @rule(service=st.sampled_from(SERVICES), faults=FAULTS)
    @step
    def inject_fault(self, service: str, faults: dict[str, Any]) -> None:
        self.set_faults(service, faults)
        self.run.tally[f"fault {next(iter(faults))}"] += 1

    @precondition(lambda self: self.faults)
    @rule(data=st.data())
    @step
    def heal_fault(self, data: st.DataObject) -> None:
        """Clearing the faults also releases every request a hold kept waiting."""
        service = data.draw(st.sampled_from(sorted(self.faults)), label="service")
        self.say(f"  heal {service} (held {self.call(self.world.held(service))})")
        self.heal(service)

    @precondition(lambda self: self.worker_down_since is None)
    @rule(kill=st.booleans())
    @step
    def stop_worker(self, kill: bool) -> None:
        self.call(self.world.stop_worker(kill=kill))
        self.worker_down_since = time.monotonic()
        self.run.tally["worker " + ("SIGKILL" if kill else "SIGTERM")] += 1

    @precondition(lambda self: self.worker_down_since is not None)
    @rule()
    @step
    def start_worker(self) -> None:
        self.start_the_worker()
