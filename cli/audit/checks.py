"""`orders audit`'s invariants, checked against the evidence of every source.

- a COMPLETED order: one captured charge equal to its total, one reservation held, one scheduled
  shipment, one OrderCompleted in the stream, one email, one loyalty entry, and analytics counts
  it on its day;
- a FAILED or CANCELLED order: every charge refunded, every reservation released, every shipment
  cancelled, one OrderFailed or OrderCancelled, one email, no loyalty entry;
- every settled order: each consumer applied exactly one event about it (its `/events` record,
  written in the same transaction as the effect), so one effect in each consumer;
- COMPENSATION_FAILED: an operator must finish `left_to_undo`; an undo an operator recorded as
  done by hand is not looked for in its participant (the work was undone outside the system);
- no reservation, charge or shipment without an order; no running order stuck.

Meant for a quiet system: an order still settling, or an event not yet applied by a consumer,
reads as a violation until it lands. On a busy one, `in_flight` judges only what must hold the
moment an order settles and can never heal by waiting: its records at the participants, no
orphans, and no event, email, points or effect more than once (fewer is still on its way).
Stuck orders and analytics are left to a quiet audit.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from temporalio.client import WorkflowExecutionStatus

from cli.audit.evidence import AuditedOrder, Evidence, Sources, gather_evidence, settled_day
from orders.events import EventType, subject_token
from orders.models import Compensation, Finish, OrderState, OrderStatus

SETTLED = {OrderStatus.COMPLETED, OrderStatus.FAILED, OrderStatus.CANCELLED}
KINDS = {
    OrderStatus.COMPLETED: EventType.ORDER_COMPLETED.kind,
    OrderStatus.FAILED: EventType.ORDER_FAILED.kind,
    OrderStatus.CANCELLED: EventType.ORDER_CANCELLED.kind,
}
UNDONE = {"inventory": "released", "payment": "refunded", "shipping": "cancelled"}
UNDONE_BY = {
    Compensation.RELEASE_INVENTORY: "inventory",
    Compensation.REFUND_PAYMENT: "payment",
    Compensation.CANCEL_SHIPMENT: "shipping",
}
NOUNS = {"inventory": "reservation", "payment": "charge", "shipping": "shipment"}


@dataclass(frozen=True)
class Violation:
    order_id: str
    invariant: str
    detail: str


@dataclass
class AuditReport:
    orders: dict[str, str]
    """Order id → status."""
    violations: list[Violation]

    @property
    def statuses(self) -> Counter[str]:
        return Counter(self.orders.values())

    def as_json(self) -> dict[str, Any]:
        return {
            "orders": len(self.orders),
            "statuses": dict(sorted(self.statuses.items())),
            "violations": [asdict(v) for v in self.violations],
        }


async def audit(
    sources: Sources,
    *,
    since: datetime | None,
    stuck_after: timedelta,
    now: datetime,
    in_flight: bool = False,
) -> AuditReport:
    """Gather the evidence from every source, then check every invariant against it."""
    evidence = await gather_evidence(sources, since=since)
    return AuditReport(
        orders={order.order_id: order.status for order in evidence.orders},
        violations=check(evidence, stuck_after=stuck_after, now=now, in_flight=in_flight),
    )


def check(
    evidence: Evidence, *, stuck_after: timedelta, now: datetime, in_flight: bool = False
) -> list[Violation]:
    found = _orphans(evidence) if in_flight else [*_orphans(evidence), *_analytics(evidence)]
    for order in sorted(evidence.orders, key=lambda o: o.started_at):
        found.extend(
            _check_order(evidence, order, stuck_after=stuck_after, now=now, in_flight=in_flight)
        )
    return found


def _check_order(
    evidence: Evidence,
    order: AuditedOrder,
    *,
    stuck_after: timedelta,
    now: datetime,
    in_flight: bool,
) -> list[Violation]:
    def bad(invariant: str, detail: str) -> Violation:
        return Violation(order.order_id, invariant, detail)

    def counted(want: int, got: int) -> bool:
        """Whether `got` of something is right: in flight, fewer may be on their way."""
        return got <= want if in_flight else got == want

    if order.workflow_status not in (
        WorkflowExecutionStatus.RUNNING,
        WorkflowExecutionStatus.COMPLETED,
    ):
        name = order.workflow_status.name if order.workflow_status else "unknown"
        return [bad("settled", f"workflow ended {name} without settling the order")]
    state = order.state
    if state is not None and state.status is OrderStatus.COMPENSATION_FAILED:
        left = ", ".join(state.left_to_undo) or "unknown"
        return [bad("compensated", f"COMPENSATION_FAILED: an operator must finish {left}")]
    if order.workflow_status is WorkflowExecutionStatus.RUNNING:
        idle = now - order.last_transition
        if idle > stuck_after and not in_flight:
            status = state.status.value if state else "no worker answered"
            return [bad("not stuck", f"{status}, no transition for {_duration(idle)}")]
        return []  # still moving: judged once it settles
    if state is None:
        return [bad("settled", "the workflow's result could not be read")]
    if state.status not in SETTLED:
        return [bad("settled", f"workflow closed with the order {state.status.value}")]

    found: list[Violation] = []
    completed = state.status is OrderStatus.COMPLETED
    by_hand = _undone_by_hand(state)
    for service, noun in NOUNS.items():
        if service in by_hand:
            continue
        records = evidence.records[service].get(order.order_id, [])
        if completed:
            held = [r for r in records if r["status"] != UNDONE[service]]
            if len(records) != 1 or len(held) != 1:
                found.append(
                    bad(f"one {noun}", f"{_statuses(records)}; want exactly one, not undone")
                )
        elif kept := [r for r in records if r["status"] != UNDONE[service]]:
            found.append(bad(f"{noun}s undone", f"{_statuses(kept)} of {_statuses(records)}"))
    if completed:
        amounts = [r["amount"] for r in evidence.records["payment"].get(order.order_id, [])]
        if amounts and amounts != [state.total]:
            found.append(bad("charge = total", f"charged {amounts}, total {state.total}"))

    token = subject_token(order.order_id)
    published = {kind: evidence.events[kind, token] for kind in KINDS.values()}
    want = {kind: int(kind == KINDS[state.status]) for kind in KINDS.values()}
    if not all(counted(want[kind], published[kind]) for kind in KINDS.values()):
        found.append(bad("one event", f"stream holds {published}, want {want}"))
    if not counted(1, emails := evidence.notifications.get(order.order_id, 0)):
        found.append(bad("one email", f"{emails} notifications"))
    if not counted(int(completed), entries := evidence.loyalty.get(order.order_id, 0)):
        found.append(bad("loyalty once", f"{entries} ledger entries, want {int(completed)}"))
    for consumer, by_order in sorted(evidence.applied.items()):
        if not counted(1, effects := by_order.get(order.order_id, 0)):
            found.append(bad(f"{consumer} applied once", f"{effects} events applied, want 1"))
    return found


def _undone_by_hand(state: OrderState) -> set[str]:
    """The participants whose undo an operator recorded as done outside the system."""
    return {
        UNDONE_BY[Compensation(undo)]
        for resolution in state.resolutions
        if resolution.action is Finish.BY_HAND
        for undo in resolution.undos
        if undo in Compensation._value2member_map_
    }


def _orphans(evidence: Evidence) -> list[Violation]:
    return [
        Violation(order_id, "no orphans", f"{NOUNS[service]} {_statuses(records)} of no order")
        for service, by_order in evidence.records.items()
        for order_id, records in by_order.items()
        if order_id not in evidence.known_ids
    ]


def _analytics(evidence: Evidence) -> list[Violation]:
    """Analytics keeps counts per day, not per order: each day counts at least its orders."""
    implied: dict[date, Counter[str]] = {}
    for order in evidence.orders:
        if order.state and order.state.status in SETTLED:
            day = implied.setdefault(settled_day(order), Counter())
            day[KINDS[order.state.status]] += 1
    return [
        Violation(
            f"(day {day})",
            "analytics counted",
            f"{kind}: {evidence.analytics.get(day, {}).get(kind, 0)} counted, {want} settled",
        )
        for day, kinds in sorted(implied.items())
        for kind, want in sorted(kinds.items())
        if evidence.analytics.get(day, {}).get(kind, 0) < want
    ]


def _statuses(records: list[dict[str, Any]]) -> str:
    if not records:
        return "none"
    return ", ".join(f"{r['id']} {r['status']}" for r in records)


def _duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    return f"{seconds // 60}m{seconds % 60:02d}s"
