"""What the Temporal Web UI shows about an order: activity summaries and current details.

Pure functions of the workflow's state (the caller passes the clock), so they are deterministic
and unit-testable outside a workflow. Neither summaries nor current details are commands the
server checks on replay, so their wording may change without a patch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from orders.models import (
        Compensation,
        Finish,
        LineItem,
        OrderState,
        OrderStatus,
        Outcome,
        Resolution,
        StepRecord,
        format_money,
    )

MAX_LINES_NAMED = 3
"""Past this many lines a summary counts them instead of naming them: summaries are one line."""

# Marks every font has (no emoji): the UI renders these in whatever the viewer's browser has.
_MARK = {Outcome.SUCCEEDED: "✓", Outcome.FAILED: "✗", Outcome.RUNNING: "…"}


@dataclass(frozen=True)
class Waiting:
    """What the workflow awaits now, as the UI should say it."""

    on: str
    since: datetime


def describe_lines(items: Sequence[LineItem]) -> str:
    """`2 x WIDGET-1, 1 x GADGET-2 (3 items)`; only the count of lines when there are many."""
    count = sum(item.quantity for item in items)
    if len(items) > MAX_LINES_NAMED:
        return f"{count} items in {len(items)} lines"
    named = ", ".join(f"{item.quantity} x {item.sku}" for item in items)
    return f"{named} ({count} items)"


def undo_summary(name: Compensation, state: OrderState) -> str:
    """`Refund ch_…`, naming what is undone when the step said; a timed-out step said nothing."""
    if name is Compensation.RELEASE_INVENTORY:
        known = state.reservation_id
        return f"Release reservation {known}" if known else "Release any reservation of the order"
    if name is Compensation.REFUND_PAYMENT:
        if state.charge_id and state.total is not None:
            return f"Refund {state.charge_id} ({format_money(state.total, state.currency)})"
        return "Refund any charge of the order"
    known = state.shipment_id
    return f"Cancel shipment {known}" if known else "Cancel any shipment of the order"


def current_details(
    state: OrderState, waiting: Waiting | None, undos_left: Sequence[str] = ()
) -> str:
    """Markdown: the status, what the order waits on and since when, which undos ran and are left.

    `undos_left` are the compensations registered but not started yet (while compensating).
    """
    total = (
        format_money(state.total, state.currency)
        if state.total is not None
        else f"total not priced yet ({state.currency})"
    )
    lines = [
        f"**{state.status.value}** · {describe_lines(state.items)} · {total} · "
        f"customer {state.customer_id}",
        "",
    ]
    if state.failure is not None:
        where = f" at {state.failure.step}" if state.failure.step else ""
        lines.append(f"- Failed{where}: {state.failure.type}: {state.failure.message}")
    if state.cancel_reason is not None:
        lines.append(f"- Cancel requested: {state.cancel_reason}")
    if waiting is not None:
        lines.append(f"- Waiting on: {waiting.on}, since {waiting.since:%Y-%m-%d %H:%M:%S} UTC")
    elif state.status.is_terminal:
        lines.append("- Waiting on: nothing, the order is settled")
    if state.steps:
        # A failed step's message is already on the "Failed at" line.
        lines.append(f"- Steps: {_records(state.steps, failed_detail=False)}")
    if state.compensations or undos_left or state.status is OrderStatus.COMPENSATING:
        ran = [r for r in state.compensations if r.outcome is not Outcome.RUNNING]
        running = [r for r in state.compensations if r.outcome is Outcome.RUNNING]
        lines.append(f"- Compensations ran: {_records(ran) or 'none yet'}")
        if running:
            lines.append(f"- Compensation running: {_records(running)}")
        if state.status is OrderStatus.COMPENSATING:
            lines.append(f"- Compensations left: {', '.join(undos_left) or 'none'}")
    if state.left_to_undo:
        lines.append(f"- **Left for an operator:** {', '.join(state.left_to_undo)}")
    lines.extend(f"- {_resolution(resolution)}" for resolution in state.resolutions)
    return "\n".join(lines)


def _resolution(resolution: Resolution) -> str:
    """`Operator key:ab12 finished refund_payment by hand, 2026-12-03 10:00:00 UTC: "…"`."""
    what = ", ".join(resolution.undos)
    did = f"retried {what}" if resolution.action is Finish.RETRY else f"finished {what} by hand"
    note = f': "{resolution.note}"' if resolution.note else ""
    return f"Operator {resolution.operator} {did}, {resolution.at:%Y-%m-%d %H:%M:%S} UTC{note}"


def _records(records: Sequence[StepRecord], *, failed_detail: bool = True) -> str:
    return ", ".join(_record(record, failed_detail) for record in records)


def _record(record: StepRecord, failed_detail: bool) -> str:
    text = f"{_MARK[record.outcome]} {record.name}"
    if record.attempts > 1:
        text += f" ({record.attempts} attempts)"
    if record.detail and (failed_detail or record.outcome is not Outcome.FAILED):
        text += f" — {record.detail}"
    return text
