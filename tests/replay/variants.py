"""Careless changes to `OrderWorkflow`, each registered under its name: replay must reject them.

Kept apart from the tests so that the workflow sandbox, which re-imports the module a workflow
class is defined in, imports only workflow code.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TypeVar

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel

    from orders.models import OrderInput, OrderState, OrderStatus, Step
    from orders.temporal import ActivityName
    from workflows.order import OrderWorkflow
    from workflows.policies import Undo

R = TypeVar("R", bound=BaseModel)

SCREEN_FOR_FRAUD = "screen_for_fraud"


@workflow.defn(name="OrderWorkflow")
class FraudScreenAdded(OrderWorkflow):
    """Screens every order for fraud before charging it: a new activity, added without a patch."""

    @workflow.run
    async def run(self, order: OrderInput) -> OrderState:
        return await super().run(order)

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
        if step is Step.CHARGE_PAYMENT:
            await workflow.execute_activity(
                SCREEN_FOR_FRAUD, arg, start_to_close_timeout=timedelta(seconds=10)
            )
        return await super()._step(
            step, status, activity, arg, result_type, undo=undo, summary=summary
        )


@workflow.defn(name="OrderWorkflow")
class UndoInStepOrder(OrderWorkflow):
    """Undoes in the order the steps ran instead of in reverse: two undos swapped."""

    @workflow.run
    async def run(self, order: OrderInput) -> OrderState:
        return await super().run(order)

    async def _compensate(self, undos: list[Undo]) -> list[Undo]:
        return await super()._compensate(list(reversed(undos)))


@workflow.defn(name="OrderWorkflow")
class UnpatchedPublish(OrderWorkflow):
    """Publishes when compensation failed, as the current code does, but without the patch."""

    @workflow.run
    async def run(self, order: OrderInput) -> OrderState:
        return await super().run(order)

    def _announces_compensation_failed(self) -> bool:
        return True


@workflow.defn(name="OrderWorkflow")
class UnpatchedOperatorWait(OrderWorkflow):
    """Waits for an operator when compensation failed, as the current code does, unpatched."""

    @workflow.run
    async def run(self, order: OrderInput) -> OrderState:
        return await super().run(order)

    def _waits_for_an_operator(self) -> bool:
        return True
