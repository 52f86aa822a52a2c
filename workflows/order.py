"""The order saga: the critical path of every order, orchestrated on Temporal."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel

    from orders.events import OrderCancelled, OrderCompleted, OrderFailed
    from orders.models import (
        CancelRequest,
        CancelResult,
        Charge,
        ChargePaymentInput,
        Finish,
        FinishRequest,
        FinishResult,
        OrderInput,
        OrderState,
        OrderStatus,
        Outcome,
        PublishEventInput,
        PublishResult,
        Reservation,
        ReserveInventoryInput,
        Resolution,
        ScheduleShipmentInput,
        SettledRequest,
        Shipment,
        Step,
        StepRecord,
        UndoInput,
        UndoResult,
        format_money,
        order_fingerprint,
        to_major_units,
    )
    from orders.temporal import CUSTOMER_ID, ORDER_STATUS, ORDER_TOTAL, ActivityName
    from workflows import order_events
    from workflows.details import Waiting, current_details, describe_lines, undo_summary
    from workflows.failures import attempts_of, failure_of
    from workflows.policies import (
        CANCEL_SHIPMENT,
        PUBLISH_ATTEMPT_TIMEOUT,
        PUBLISH_RETRY,
        REFUND,
        RELEASE,
        STEP_ATTEMPT_TIMEOUT,
        STEP_DEADLINE,
        STEP_RETRY,
        UNDO_ATTEMPT_TIMEOUT,
        UNDO_DEADLINE,
        UNDO_RETRY,
        Undo,
    )

R = TypeVar("R", bound=BaseModel)
T = TypeVar("T")

CANCEL_REJECTED = "CancelRejected"
FINISH_REJECTED = "FinishRejected"
ORDER_CONFLICT = "OrderConflict"

PUBLISH_ON_COMPENSATION_FAILED = "publish-on-compensation-failed"
"""Patch: an order left COMPENSATION_FAILED publishes `OrderFailed` / `OrderCancelled` too."""
SAGA_SCOPED_KEYS = "saga-scoped-keys"
"""Patch: participant calls are keyed by the order's workflow too, and undos touch only what
their own step created (before it: keyed by order id, undoing every record of the order)."""
OPERATOR_FINISHES_COMPENSATION = "operator-finishes-compensation"
"""Patch: an order left COMPENSATION_FAILED waits for an operator to finish it, then settles."""
FAILURE_OUTLIVES_CANCEL = "failure-outlives-temporal-cancel"
"""Patch: a Temporal cancellation while a failure is being compensated leaves it a failure."""


class _CancelRequested(Exception):
    """Raised between steps once the customer has asked to cancel."""


@workflow.defn
class OrderWorkflow:
    """Reserve inventory, charge payment, schedule shipment; or undo, in reverse, what ran.

    - Query `status` -> `OrderState`: status, steps, compensations (in the order they ran), failure.
    - Update `settled(SettledRequest)` -> `OrderState` once the critical path has settled (completed
      or compensated), or as it stands when the request's `wait_seconds` have passed; rejected
      (`OrderConflict`) when the fingerprint is another order's, so that a wait on a reused
      order id never attaches to a different order.
    - Update `cancel(CancelRequest)` -> `CancelResult`: rejected (`CancelRejected`) once the order
      is settled or already failing; accepted, the step in flight settles and then everything
      done so far is undone, and the order ends `CANCELLED`. A Temporal cancellation of the
      workflow is treated the same way, but for one case: while a business failure is being
      compensated it changes nothing, and the order ends `FAILED` (since patch
      `failure-outlives-temporal-cancel`; before it, such an order ended `CANCELLED`).
    - Update `finish_compensation(FinishRequest)` -> `FinishResult`: for an order left
      `COMPENSATION_FAILED`, which waits for an operator (since patch
      `operator-finishes-compensation`; before it, such an order closed): `retry` runs the undos
      left again, `by_hand` records that a person did them (a note is required). Either way the
      order then settles `FAILED` (or `CANCELLED`), and `resolutions` says who did what.
      Rejected (`FinishRejected`) for any other order.

    When the order settles it publishes one fact to JetStream — `OrderCompleted`, `OrderFailed` or
    `OrderCancelled` — retried until the bus takes it; a completed order is never compensated
    because the bus is down. An order left `COMPENSATION_FAILED` publishes `OrderFailed` (or
    `OrderCancelled`) with `left_to_undo` then, so the customer hears and operators get a signal
    (since patch `publish-on-compensation-failed`; before it, such orders published nothing); an
    operator's finish publishes nothing more, so every order states its fact once.

    Compensation guarantees: each step's undo is registered *before* the step runs, because a
    step that timed out may still have taken effect; undos run in reverse order, look up what
    their step's own request created (nothing is fine), and retry with capped backoff for a day.
    Every participant call's idempotency key names the order and this workflow (since patch
    `saga-scoped-keys`), so an order id placed again after retention never meets old answers.
    An undo that fails for good does not stop the others; the order then is
    `COMPENSATION_FAILED`, `left_to_undo` names what an operator must finish, and it waits for
    `finish_compensation`. A Temporal cancel while it waits changes nothing.
    """

    @workflow.init
    def __init__(self, order: OrderInput) -> None:
        self._order = order
        self._state = OrderState(
            order_id=order.order_id,
            customer_id=order.customer_id,
            status=OrderStatus.RECEIVED,
            currency=order.currency,
            items=order.items,
        )
        self._undo: list[Undo] = []
        self._saga: str | None = None
        self._reservation: Reservation | None = None
        self._shipment: Shipment | None = None
        # What the Web UI's current details say the order waits on, and the undos not yet run.
        self._waiting: Waiting | None = None
        self._undos_left: list[str] = []
        self._finish_request: FinishRequest | None = None

    @workflow.run
    async def run(self, order: OrderInput) -> OrderState:
        # The first run id survives resets, so a reset order's retried calls keep their keys.
        saga = workflow.info().first_execution_run_id
        self._saga = saga if workflow.patched(SAGA_SCOPED_KEYS) else None
        self._transition(OrderStatus.RECEIVED)
        try:
            reservation = await self._step(
                Step.RESERVE_INVENTORY,
                OrderStatus.RESERVING_INVENTORY,
                ActivityName.RESERVE_INVENTORY,
                ReserveInventoryInput(
                    order_id=order.order_id,
                    currency=order.currency,
                    items=order.items,
                    saga=self._saga,
                ),
                Reservation,
                undo=RELEASE,
                summary=f"Reserve {describe_lines(order.items)}",
            )
            self._reservation = reservation
            self._state.reservation_id = reservation.id
            self._state.total = reservation.total
            self._state.currency = reservation.currency

            charge = await self._step(
                Step.CHARGE_PAYMENT,
                OrderStatus.CHARGING_PAYMENT,
                ActivityName.CHARGE_PAYMENT,
                ChargePaymentInput(
                    order_id=order.order_id,
                    amount=reservation.total,
                    currency=reservation.currency,
                    token=order.payment_token,
                    saga=self._saga,
                ),
                Charge,
                undo=REFUND,
                summary=f"Charge {format_money(reservation.total, reservation.currency)}",
            )
            self._state.charge_id = charge.id

            shipment = await self._step(
                Step.SCHEDULE_SHIPMENT,
                OrderStatus.SCHEDULING_SHIPMENT,
                ActivityName.SCHEDULE_SHIPMENT,
                ScheduleShipmentInput(
                    order_id=order.order_id,
                    address=order.shipping_address,
                    items=order.items,
                    saga=self._saga,
                ),
                Shipment,
                undo=CANCEL_SHIPMENT,
                summary=f"Schedule shipment to {order.shipping_address.country}",
            )
            self._shipment = shipment
            self._state.shipment_id = shipment.id
            self._raise_if_cancel_requested()
        except ActivityError as err:
            self._state.failure = failure_of(err, self._state.steps[-1].name)
            workflow.logger.warning(
                "order %s: step %s failed: %s",
                order.order_id,
                self._state.failure.step,
                self._state.failure.message,
            )
        except _CancelRequested:
            workflow.logger.info("order %s: cancel requested, compensating", order.order_id)
        else:
            self._transition(OrderStatus.COMPLETED)
            assert self._reservation is not None and self._shipment is not None
            await self._publish(
                order_events.completed(
                    order, self._state, self._reservation, self._shipment, **self._event_clock()
                )
            )
            return await self._finish_run()

        left = await self._compensate(list(reversed(self._undo)))
        if not left:
            self._transition(self._compensated_status())
            await self._publish(self._compensated_fact(order))
            return await self._finish_run()
        self._left_to_undo(left)
        self._transition(OrderStatus.COMPENSATION_FAILED)
        if not self._announces_compensation_failed():
            return await self._finish_run()
        # The fact is true already (the order failed, or was cancelled): the customer hears now,
        # and an operator's finish later publishes nothing more.
        await self._publish(self._compensated_fact(order))
        if self._waits_for_an_operator():
            await self._until_an_operator_finishes(left)
            self._transition(self._compensated_status())
        return await self._finish_run()

    def _waits_for_an_operator(self) -> bool:
        """Whether an order left COMPENSATION_FAILED waits for an operator; at first it closed.

        Orders that closed that way before this change have no marker, and replay closing.
        """
        return workflow.patched(OPERATOR_FINISHES_COMPENSATION)

    def _compensated_status(self) -> OrderStatus:
        return OrderStatus.FAILED if self._state.cancel_reason is None else OrderStatus.CANCELLED

    def _left_to_undo(self, left: list[Undo]) -> None:
        self._state.left_to_undo = [item.name.value for item in left]

    async def _until_an_operator_finishes(self, left: list[Undo]) -> None:
        """Wait in COMPENSATION_FAILED until an operator retries what is left (and it succeeds)
        or records that a person did it by hand."""
        while left:
            self._waiting = Waiting(
                on=f"an operator to finish {', '.join(self._state.left_to_undo)} "
                "(`orders compensation retry|by-hand`)",
                since=workflow.now(),
            )
            self._show()
            request = await self._operator_request()
            self._waiting = None
            self._state.resolutions.append(
                Resolution(
                    action=request.action,
                    operator=request.operator,
                    note=request.note,
                    undos=self._state.left_to_undo,
                    at=workflow.now(),
                )
            )
            workflow.logger.warning(
                "order %s: %s chose %s for %s: %s",
                self._order.order_id,
                request.operator,
                request.action.value,
                ", ".join(self._state.left_to_undo),
                request.note,
            )
            left = await self._compensate(left) if request.action is Finish.RETRY else []
            self._left_to_undo(left)
            if left:
                self._transition(OrderStatus.COMPENSATION_FAILED)

    async def _operator_request(self) -> FinishRequest:
        while self._finish_request is None:
            try:
                await workflow.wait_condition(lambda: self._finish_request is not None)
            except asyncio.CancelledError:
                # A Temporal cancel changes nothing now: the order is settled, an undo is left.
                workflow.logger.warning(
                    "order %s: cancellation requested while an undo is left: nothing changes",
                    self._order.order_id,
                )
        request, self._finish_request = self._finish_request, None
        return request

    def _announces_compensation_failed(self) -> bool:
        """Whether an order left COMPENSATION_FAILED publishes its fact; at first it did not.

        Orders that settled that way before this change have no `PUBLISH_ON_COMPENSATION_FAILED`
        marker in their history, so their replay takes the old path and publishes nothing. Once
        no such history can be replayed any more (all are past retention), this becomes
        `workflow.deprecate_patch(...)`, and in the release after that, plain `True`.
        """
        return workflow.patched(PUBLISH_ON_COMPENSATION_FAILED)

    def _compensated_fact(self, order: OrderInput) -> OrderFailed | OrderCancelled:
        """`OrderCancelled` if the customer asked, else `OrderFailed`; both name what is left."""
        build = order_events.failed if self._state.cancel_reason is None else order_events.cancelled
        return build(order, self._state, self._reservation, **self._event_clock())

    async def _finish_run(self) -> OrderState:
        # Let `settled` callers receive the final state before the workflow closes.
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._state

    @workflow.query
    def status(self) -> OrderState:
        return self._state

    @workflow.update
    async def settled(self, request: SettledRequest) -> OrderState:
        if request.wait_seconds is None or self._state.status.is_terminal:
            await workflow.wait_condition(lambda: self._state.status.is_terminal)
        else:
            # Bounded: a caller gone for good must not hold one of the order's update slots.
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(
                    lambda: self._state.status.is_terminal,
                    timeout=request.wait_seconds,
                    timeout_summary="a caller's wait",
                )
        return self._state

    @settled.validator
    def _validate_settled(self, request: SettledRequest) -> None:
        if request.fingerprint != order_fingerprint(self._order):
            raise ApplicationError(
                f"order id {self._order.order_id} is already used by another order",
                type=ORDER_CONFLICT,
                non_retryable=True,
            )

    @workflow.update
    def finish_compensation(self, request: FinishRequest) -> FinishResult:
        self._finish_request = request
        return FinishResult(
            order_id=self._order.order_id,
            status=self._state.status,
            left_to_undo=self._state.left_to_undo,
        )

    @finish_compensation.validator
    def _validate_finish(self, request: FinishRequest) -> None:
        # Taken from the moment the order reads COMPENSATION_FAILED, while it still publishes its
        # fact: what a client sees is what it may do. (Only live code runs a validator, and live
        # code always goes on to wait for an operator; a retry in progress reads COMPENSATING.)
        finishable = (
            self._state.status is OrderStatus.COMPENSATION_FAILED
            and bool(self._state.left_to_undo)
            and self._finish_request is None
        )
        if not finishable:
            raise ApplicationError(
                f"order {self._order.order_id} is {self._state.status.value}; only an order left "
                "COMPENSATION_FAILED, waiting for an operator, can be finished",
                {"status": self._state.status.value},
                type=FINISH_REJECTED,
                non_retryable=True,
            )
        if request.action is Finish.BY_HAND and not request.note.strip():
            raise ApplicationError(
                "say what was done by hand, and where (a note)",
                type=FINISH_REJECTED,
                non_retryable=True,
            )

    @workflow.update
    async def cancel(self, request: CancelRequest) -> CancelResult:
        self._request_cancel(request.reason)
        return CancelResult(order_id=self._order.order_id, status=self._state.status)

    @cancel.validator
    def _validate_cancel(self, request: CancelRequest) -> None:
        status = self._state.status
        if self._state.cancel_reason is not None:
            return  # a repeated cancel is accepted: same outcome
        if status.is_terminal or status is OrderStatus.COMPENSATING:
            raise ApplicationError(
                f"order {self._order.order_id} is {status.value}; it can no longer be cancelled",
                {"status": status.value},
                type=CANCEL_REJECTED,
                non_retryable=True,
            )

    # --- steps ------------------------------------------------------------------------------

    async def _step(
        self,
        step: Step,
        status: OrderStatus,
        activity: ActivityName,
        arg: BaseModel,
        result_type: type[R],
        *,
        undo: Undo,
        summary: str,
    ) -> R:
        """Run one forward step, its undo registered first: a timed-out call may have landed."""
        self._raise_if_cancel_requested()
        self._undo.append(undo)
        self._transition(status)
        record = StepRecord(name=step, outcome=Outcome.RUNNING, started_at=workflow.now())
        self._state.steps.append(record)
        # Local activities (the order's own choice, kept in its input) skip the activity task
        # queue: fewer round trips to the server, but retries and timeouts live in this worker.
        start = (
            workflow.start_local_activity
            if self._order.local_activities
            else workflow.start_activity
        )
        handle: workflow.ActivityHandle[R] = start(
            activity,
            arg,
            result_type=result_type,
            start_to_close_timeout=STEP_ATTEMPT_TIMEOUT,
            schedule_to_close_timeout=STEP_DEADLINE,
            retry_policy=STEP_RETRY,
            summary=summary,
        )
        try:
            result = await self._settle(handle, f"{summary} (`{activity.value}`)")
        except ActivityError as err:
            self._finish(record, Outcome.FAILED, attempts_of(err), failure_of(err, step).message)
            raise
        self._finish(record, Outcome.SUCCEEDED, getattr(result, "attempt", 1))
        return result

    async def _compensate(self, undos: list[Undo]) -> list[Undo]:
        """Run `undos` in their order; return those that failed for good."""
        self._transition(OrderStatus.COMPENSATING)
        left: list[Undo] = []
        for position, item in enumerate(undos):
            self._undos_left = [later.name.value for later in undos[position + 1 :]]
            summary = undo_summary(item.name, self._state)
            record = StepRecord(name=item.name, outcome=Outcome.RUNNING, started_at=workflow.now())
            self._state.compensations.append(record)
            handle = workflow.start_activity(
                item.activity,
                UndoInput(order_id=self._order.order_id, saga=self._saga),
                result_type=UndoResult,
                start_to_close_timeout=UNDO_ATTEMPT_TIMEOUT,
                schedule_to_close_timeout=UNDO_DEADLINE,
                retry_policy=UNDO_RETRY,
                summary=summary,
            )
            try:
                result = await self._settle(handle, f"{summary} (`{item.activity.value}`)")
            except ActivityError as err:
                message = failure_of(err, item.name).message
                self._finish(record, Outcome.FAILED, attempts_of(err), message)
                workflow.logger.error(
                    "order %s: %s failed for good: %s", self._order.order_id, item.name, message
                )
                left.append(item)
                continue
            detail = f"undid {', '.join(result.undone)}" if result.undone else "nothing to undo"
            self._finish(record, Outcome.SUCCEEDED, result.attempt, detail)
        self._undos_left = []
        return left

    async def _settle(self, handle: workflow.ActivityHandle[T], waiting_on: str) -> T:
        """Await an activity, letting it settle even if the workflow is cancelled meanwhile.

        A cancelled HTTP call may still take effect; undoing before it lands would miss it. So a
        Temporal cancellation becomes a cancel request, honoured once the call has settled.
        `waiting_on` is what the current details say meanwhile.
        """
        self._waiting = Waiting(on=waiting_on, since=workflow.now())
        self._show()
        try:
            while True:
                try:
                    await workflow.wait([handle])
                    return handle.result()
                except asyncio.CancelledError:
                    self._temporal_cancel()
        finally:
            self._waiting = None

    # --- the closing fact -------------------------------------------------------------------

    async def _publish(self, event: OrderCompleted | OrderFailed | OrderCancelled) -> None:
        handle: workflow.ActivityHandle[PublishResult] = workflow.start_activity(
            ActivityName.PUBLISH_EVENT,
            PublishEventInput(event=event),
            result_type=PublishResult,
            start_to_close_timeout=PUBLISH_ATTEMPT_TIMEOUT,
            retry_policy=PUBLISH_RETRY,
            summary=f"Publish {event.type.value}",
        )
        try:
            result = await self._settle(
                handle, f"Publish {event.type.value} (retried until the bus takes it)"
            )
        except ActivityError as err:  # only a non-retryable bug gets here; the order stands
            workflow.logger.error("order %s: publish failed: %s", self._order.order_id, err)
            return
        finally:
            self._show()
        self._state.events.append(result.event_id)

    @staticmethod
    def _event_clock() -> dict[str, Any]:
        info = workflow.info()
        return {"now": workflow.now(), "placed_at": info.start_time, "run_id": info.run_id}

    # --- state ------------------------------------------------------------------------------

    def _temporal_cancel(self) -> None:
        """A cancel from Temporal (the Web UI's button, `temporal workflow cancel`)."""
        compensating_a_failure = (
            self._state.status is OrderStatus.COMPENSATING and self._state.cancel_reason is None
        )
        if compensating_a_failure and workflow.patched(FAILURE_OUTLIVES_CANCEL):
            # What the customer is told, and the fact published, stay those of the failure.
            workflow.logger.warning(
                "order %s: cancellation requested while compensating a failure: nothing changes",
                self._order.order_id,
            )
            return
        self._request_cancel("workflow cancellation requested")

    def _request_cancel(self, reason: str) -> None:
        if self._state.cancel_reason is None and not self._state.status.is_terminal:
            self._state.cancel_reason = reason
            self._show()

    def _raise_if_cancel_requested(self) -> None:
        if self._state.cancel_reason is not None:
            raise _CancelRequested

    def _transition(self, status: OrderStatus) -> None:
        self._state.status = status
        updates: list[SearchAttributeUpdate[Any]] = [
            ORDER_STATUS.value_set(status.value),
            CUSTOMER_ID.value_set(self._order.customer_id),
        ]
        if self._state.total is not None:
            updates.append(
                ORDER_TOTAL.value_set(to_major_units(self._state.total, self._state.currency))
            )
        workflow.upsert_search_attributes(updates)
        self._show()

    def _show(self) -> None:
        """Refresh the Web UI's current details (a query answer, not a command in the history)."""
        workflow.set_current_details(current_details(self._state, self._waiting, self._undos_left))

    def _finish(
        self, record: StepRecord, outcome: Outcome, attempts: int, detail: str | None = None
    ) -> None:
        record.outcome = outcome
        record.attempts = attempts
        record.finished_at = workflow.now()
        record.detail = detail
        self._show()
