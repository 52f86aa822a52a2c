"""What the machine sees of its orders, checked against the model: each order's status as the
API shows it after every step; its end (the status, the failure, the participants' records);
and at the end of an example a quiet system (faults healed, a worker running, every order
settled) in which every order is one workflow and `orders audit` finds nothing.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import TYPE_CHECKING, Any

from orders.models import OrderStatus
from orders.temporal import workflow_id
from tests.chaos.protocol.bodies import customer_id
from tests.chaos.protocol.model import ModelViolation, OrderModel, check_records
from tests.chaos.protocol.run import log
from tools.stack.settings import SERVICES

if TYPE_CHECKING:
    from tests.chaos.protocol.base import MachineBase

SETTLE_WITHIN = 300.0
"""Seconds for every order to settle once healed: an undo's backoff reaches 2 minutes."""
LISTED_WITHIN = 30.0
"""Seconds for visibility to list every workflow started."""
AUDIT_WITHIN = 120.0
"""Seconds for the consumers to apply every order's event, for a clean audit."""
POLL = 0.5


class Observer:
    def __init__(self, machine: MachineBase) -> None:
        self.machine = machine

    @property
    def orders(self) -> list[OrderModel]:
        return self.machine.orders

    def observe(self, order: OrderModel, view: dict[str, Any]) -> None:
        status = OrderStatus(view["status"])
        order.observe(status)
        # A view from visibility alone (no worker answered the query) has no items, steps or
        # failure: an order's end is judged on its full state.
        if status.is_terminal and order.final is None and view.get("items"):
            self._settled(order, status, view)

    def _settled(self, order: OrderModel, status: OrderStatus, view: dict[str, Any]) -> None:
        reached = None
        if order.temporal_cancels and order.order_id is not None:
            reached = self.machine.call(self.machine.world.cancel_reached_at(order.order_id))
        where = f" (a Temporal cancel reached it at {reached.value})" if reached else ""
        self.machine.say(f"  {order!r} settled {status.value}{where}")
        order.settle(status, view.get("failure"), reached)
        order.total = view.get("total")
        self.machine.run.tally[f"order {status.value}"] += 1

    def _unsettled(self) -> list[OrderModel]:
        return [o for o in self.orders if o.order_id and o.exists and o.final is None]

    def look(self) -> None:
        """Read every order not settled yet, and the records of every order settled since."""
        for order in self._unsettled():
            self._read(order)
        self._check_records()

    def _read(self, order: OrderModel) -> bool:
        """The order as the API shows it; False when it does not exist."""
        answer = self.machine.api("GET", f"/orders/{order.order_id}", quiet=True)
        if (answer.status, answer.code) == (404, "order_not_found") and not order.placed:
            return False  # its placing was refused: it may never have been placed
        if answer.status != 200:
            raise ModelViolation(f"{order.story()}: GET answered {answer}")
        if not order.seen or order.seen[-1] != answer.body["status"]:
            self.machine.say(f"  {answer.request} → {answer}")
        order.placed = True
        self.observe(order, answer.body)
        return True

    def _check_records(self) -> None:
        # A held service holds our reads too: its records are read once it is released.
        if any(faults.get("hold") for faults, _ in self.machine.faults.values()):
            return
        for order in self.orders:
            if order.final is None or order.records_checked:
                continue
            assert order.order_id is not None
            records = {}
            for service in SERVICES:
                found = self.machine.call(self.machine.world.records(service, order.order_id))
                if found is None:
                    return  # its injected errors answer for it: read again after a later step
                records[service] = found
            check_records(order, order.total, records)
            order.records_checked = True

    # --- the end of an example --------------------------------------------------------------

    def end(self) -> None:
        machine = self.machine
        for service in SERVICES:
            machine.call(machine.world.clear_faults(service))
        machine.faults.clear()
        if machine.worker_down_since is not None:
            machine.start_the_worker()
        if machine.failed:
            self._drain()
            return
        self._settle_all()
        self._one_workflow_per_order()
        self._clean_audit()

    def _settle_all(self) -> None:
        deadline = time.monotonic() + SETTLE_WITHIN
        while True:
            self.look()
            running = self.machine.call(self.machine.world.running_orders())
            if running == 0:
                # Nothing runs: an order whose placing was refused and that is not found now
                # was never placed.
                for order in [o for o in self._unsettled() if not o.placed]:
                    if not self._read(order):
                        order.maybe_placed = False
            unread = [o for o in self.orders if o.final and not o.records_checked]
            pending = self._unsettled() + unread
            if running == 0 and not pending:
                return
            if time.monotonic() > deadline:
                stories = "; ".join(o.story() for o in pending)
                raise AssertionError(
                    f"not settled in {SETTLE_WITHIN:.0f}s ({running} running): {stories}"
                )
            time.sleep(POLL)

    def _one_workflow_per_order(self) -> None:
        """Each order placed is one workflow; any other of the example's customers is an order
        whose placing was refused before an answer named it."""
        machine = self.machine
        want = {workflow_id(o.order_id) for o in self.orders if o.placed and o.order_id}
        deadline = time.monotonic() + LISTED_WITHIN
        while True:
            customers = [customer_id(machine.example, customer) for customer in (0, 1)]
            ids = machine.call(machine.world.workflow_ids(customers))
            if want <= set(ids) or time.monotonic() > deadline:
                break
            time.sleep(POLL)
        if missing := want - set(ids):
            raise ModelViolation(f"orders placed but not listed: {sorted(missing)}")
        if twice := sorted(i for i, n in Counter(ids).items() if n > 1):
            raise ModelViolation(f"an order id with two workflows: {twice}")
        if len(extra := set(ids) - want) > machine.lost_answers:
            raise ModelViolation(
                f"{len(extra)} workflows of no order the model placed ({sorted(extra)}), "
                f"but only {machine.lost_answers} placings were refused"
            )

    def _clean_audit(self) -> None:
        machine = self.machine
        deadline = time.monotonic() + AUDIT_WITHIN
        while True:
            report = machine.call(machine.world.audit(machine.since))
            if not report.violations:
                break
            if time.monotonic() > deadline:
                found = "\n  ".join(
                    f"{v.order_id}: {v.invariant}: {v.detail}" for v in report.violations
                )
                raise AssertionError(f"orders audit is not clean:\n  {found}")
            time.sleep(1)
        for order in self.orders:
            audited = report.orders.get(order.order_id or "")
            if order.final is not None and audited != order.final:
                raise ModelViolation(f"{order.story()}: the audit read it {audited}")
        machine.say(f"audit clean: {dict(report.statuses)}")

    def _drain(self) -> None:
        """After a failure: let what runs settle, so the next example (or the replay of this
        one) starts on a quiet system; what fails here is logged, the failure already stands."""
        deadline = time.monotonic() + SETTLE_WITHIN
        world = self.machine.world
        try:
            while self.machine.call(world.running_orders()) and time.monotonic() < deadline:
                time.sleep(POLL)
        except Exception:
            log.exception("example %d: could not drain after its failure", self.machine.example)
