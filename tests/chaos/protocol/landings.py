"""A cancel landed inside a failure's compensation, where the saga's rule differs: the order
stays FAILED, whether the customer asks (409 `cannot_cancel`) or an operator cancels through
Temporal (patch `failure-outlives-temporal-cancel`). Random interleavings almost never meet
that window, a few hundred milliseconds long, so this rule holds it open: a declined order's
charge is held until the release of its reservation is held too, then let go, and the order
waits in COMPENSATING for the cancel. Both holds are healed before the rule ends.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from orders.models import Compensation, OrderStatus, Outcome
from tests.chaos.protocol.base import step
from tests.chaos.protocol.bodies import Body
from tests.chaos.protocol.bodies import Outcome as BodyOutcome
from tests.chaos.protocol.clients import ClientRules
from tests.chaos.protocol.model import ModelViolation, Naming, OrderModel
from tests.chaos.protocol.operators import OperatorRules

HELD_WITHIN = 30.0
"""Seconds for a held order to reach the step the rule holds it at."""


def _releasing(view: dict[str, Any]) -> bool:
    undos = view.get("compensations") or []
    return bool(
        view["status"] == OrderStatus.COMPENSATING
        and undos
        and undos[-1]["name"] == Compensation.RELEASE_INVENTORY
        and undos[-1]["outcome"] == Outcome.RUNNING
    )


class LandingRules(ClientRules, OperatorRules):
    def until(self, order: OrderModel, held: Callable[[dict[str, Any]], bool], what: str) -> None:
        assert order.order_id is not None
        deadline = time.monotonic() + HELD_WITHIN
        while True:
            answer = self.api("GET", f"/orders/{order.order_id}", quiet=True)
            if answer.status == 200:
                self.observer.observe(order, answer.body)
                if held(answer.body):
                    self.say(f"  {order!r} {what}")
                    return
            if time.monotonic() > deadline:
                raise AssertionError(f"{order.story()}: not {what} in {HELD_WITHIN:.0f}s")
            time.sleep(0.1)

    @precondition(lambda self: self.worker_down_since is None)
    @rule(naming=st.sampled_from(Naming), through=st.sampled_from(["API", "Temporal"]))
    @step
    def cancel_while_a_failure_is_compensated(self, naming: Naming, through: str) -> None:
        self.set_faults("payment", {"hold": True})
        self.heal("inventory")
        order = self.new_order(naming, Body(0, BodyOutcome.DECLINED, 1))
        self.placed(order, self.submit(order, order.body, None), None)
        if not order.placed:  # refused: a documented 503, nothing to land inside
            self.heal("payment")
            return
        self.until(order, lambda v: v["status"] == OrderStatus.CHARGING_PAYMENT, "charging")
        self.set_faults("inventory", {"hold": True})
        self.heal("payment")
        self.until(order, _releasing, "compensating, its release held")
        if through == "API":
            answer = self.cancel_through_the_api(order)
            if (answer.status, answer.code) != (409, "cannot_cancel") and not answer.refused:
                raise ModelViolation(f"{order.story()}: cancelled while compensating: {answer}")
        else:
            self.cancel_through_the_temporal_ui(order)
        self.heal("inventory")
