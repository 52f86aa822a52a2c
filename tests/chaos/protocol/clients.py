"""What clients do: place an order (named by an `Idempotency-Key`, by an `order_id`, or by
neither), submit it again (the same body; another under the same key or id; the same key as
another customer), wait with `?wait=`, and cancel it through the API."""

from __future__ import annotations

from collections import Counter

from hypothesis import strategies as st
from hypothesis.stateful import initialize, precondition, rule

from orders.models import OrderStatus
from tests.chaos.protocol.answers import Answer
from tests.chaos.protocol.base import MachineBase, step
from tests.chaos.protocol.bodies import Body, bodies
from tests.chaos.protocol.model import CancelAnswer, ModelViolation, Naming, OrderModel

WAITS = st.one_of(st.none(), st.sampled_from([0.5, 1.0, 2.0]))


class ClientRules(MachineBase):
    def submit(self, order: OrderModel, body: Body, wait: float | None) -> Answer:
        order_id = order.order_id if order.naming is Naming.ID else None
        headers = {"Idempotency-Key": order.key} if order.key else None
        json = body.json(self.example, order_id)
        return self.api("POST", "/orders", json=json, headers=headers, wait=wait)

    def placed(self, order: OrderModel, answer: Answer, wait: float | None) -> None:
        """What a submission of the order's own body must be answered."""
        first = not order.exists
        if answer.refused:
            order.maybe_placed = True
            return
        if answer.status not in (200, 202):
            raise ModelViolation(f"{order.story()}: {answer.request} answered {answer}")
        view = answer.body
        if order.order_id is None:
            order.order_id = view["order_id"]
            if any(o.order_id == order.order_id for o in self.orders if o is not order):
                raise ModelViolation(f"{order.story()}: the id of another order")
        if view["order_id"] != order.order_id:
            raise ModelViolation(f"{order.story()}: answered for {view['order_id']}")
        if answer.headers.get("Location") != f"/orders/{order.order_id}":
            raise ModelViolation(f"{order.story()}: Location {answer.headers.get('Location')}")
        settled = OrderStatus(view["status"]).is_terminal
        if first and (answer.replayed or (wait is None and answer.status != 202)):
            raise ModelViolation(f"{order.story()}: a new order answered {answer}")
        if order.placed and wait is None and not (answer.status == 200 and answer.replayed):
            raise ModelViolation(f"{order.story()}: a resubmission answered {answer}")
        if answer.status == 200 and not answer.replayed and not settled:
            raise ModelViolation(f"{order.story()}: a wait answered 200 unsettled")
        order.placed = True
        self.observer.observe(order, view)

    def place_new(self, naming: Naming, body: Body, wait: float | None) -> None:
        order = self.new_order(naming, body)
        self.placed(order, self.submit(order, body, wait), wait)

    @rule(naming=st.sampled_from(Naming), body=bodies(), wait=WAITS)
    @step
    def place(self, naming: Naming, body: Body, wait: float | None) -> None:
        self.place_new(naming, body, wait)

    # Hypothesis enables a random subset of the rules in each example; the first order is
    # placed whatever the subset, so that no example is all operators and no orders.
    @initialize(naming=st.sampled_from(Naming), body=bodies(), wait=WAITS)
    @step
    def place_first(self, naming: Naming, body: Body, wait: float | None) -> None:
        self.place_new(naming, body, wait)

    def named(self, *, placed: bool) -> list[OrderModel]:
        """Orders named by a key or an id: placed for sure, or maybe."""
        named = [o for o in self.orders if o.naming is not Naming.NONE]
        return [o for o in named if (o.placed if placed else o.exists)]

    @precondition(lambda self: self.named(placed=False))
    @rule(data=st.data(), wait=WAITS)
    @step
    def resubmit(self, data: st.DataObject, wait: float | None) -> None:
        """The same body under the same key or order id: the same order, never a second."""
        order = self.pick(data, self.named(placed=False))
        self.placed(order, self.submit(order, order.body, wait), wait)

    @precondition(lambda self: self.named(placed=True))
    @rule(data=st.data(), wait=WAITS)
    @step
    def resubmit_another_body(self, data: st.DataObject, wait: float | None) -> None:
        order = self.pick(data, self.named(placed=True))
        answer = self.submit(order, order.body.other(), wait)
        if answer.refused:
            return
        keyed = order.naming is Naming.KEY
        want = (422, "idempotency_key_reused") if keyed else (409, "order_conflict")
        if (answer.status, answer.code) != want:
            raise ModelViolation(
                f"{order.story()}: another body under its {order.naming.value} answered "
                f"{answer}, want {want[0]} {want[1]}"
            )

    def keys_of_one(self) -> list[OrderModel]:
        """Keyed orders whose key no other customer has sent yet."""
        keys = Counter(o.key for o in self.orders)
        return [o for o in self.named(placed=True) if o.key and keys[o.key] == 1]

    @precondition(lambda self: self.keys_of_one())
    @rule(data=st.data())
    @step
    def reuse_key_for_another_customer(self, data: st.DataObject) -> None:
        """A key is its customer's own: another customer's same key is another order."""
        order = self.pick(data, self.keys_of_one())
        other = self.new_order(Naming.KEY, order.body.for_other_customer(), key=order.key)
        self.placed(other, self.submit(other, other.body, None), None)

    def cancel_through_the_api(self, order: OrderModel) -> Answer:
        """`POST /orders/{id}/cancel`, its answer held to what a cancel may be answered."""
        assert order.order_id is not None
        answer = self.api("POST", f"/orders/{order.order_id}/cancel", json={"reason": "model"})
        if answer.status == 202:
            order.api_cancels.append(CancelAnswer.ACCEPTED)
            order.placed = True
            if answer.body["status"] in (OrderStatus.COMPLETED, OrderStatus.FAILED):
                raise ModelViolation(f"{order.story()}: cancel accepted {answer}")
        elif (answer.status, answer.code) == (409, "cannot_cancel"):
            order.api_cancels.append(CancelAnswer.REJECTED)
        elif (answer.status, answer.code) == (404, "order_not_found") and not order.placed:
            pass  # its placing was refused, and it was not placed
        elif answer.refused:
            order.api_cancels.append(CancelAnswer.MAYBE)
        else:
            raise ModelViolation(f"{order.story()}: a cancel answered {answer}")
        return answer

    @precondition(lambda self: self.cancellable())
    @rule(data=st.data())
    @step
    def cancel_through_api(self, data: st.DataObject) -> None:
        self.cancel_through_the_api(self.pick(data, self.cancellable()))
