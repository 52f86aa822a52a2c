"""`orders audit` on the real stack: quiet after orders of every outcome, then it catches a
reservation of no order and a completed order's charge refunded behind the workflow's back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from rich.console import Console
from temporalio.client import Client

from cli.audit.checks import AuditReport, Violation, audit
from cli.audit.commands import exit_code, show_report
from cli.audit.evidence import Sources
from orders.bus import connect_nats
from orders.models import Address, CancelRequest, LineItem, OrderStatus
from tests.integration.consumers import running
from tests.integration.orders import poll, run, start
from tests.integration.participants import Participants, new_order
from tests.nats import NatsServer
from tests.tokens import SERVICE_HEADERS
from tools.smtp_sink.sink import SmtpSink
from tools.stack.processes import free_port
from workers.analytics.app import create_app as analytics_app
from workers.analytics.settings import AnalyticsSettings
from workers.loyalty.app import create_app as loyalty_app
from workers.loyalty.settings import LoyaltySettings
from workers.notification.app import create_app as notification_app
from workers.notification.settings import NotificationSettings
from workflows.order import OrderWorkflow

pytestmark = pytest.mark.usefixtures("worker")

FAST: dict[str, Any] = {"retry_base_seconds": 0.1, "retry_cap_seconds": 0.5}
STUCK_AFTER = timedelta(minutes=5)


@pytest.fixture
async def sources(
    client: Client, participants: Participants, nats_server: NatsServer, tmp_path: Path
) -> AsyncIterator[Sources]:
    """Everything the audit reads: the session's servers, and the consumers run in process."""
    sink = SmtpSink(tmp_path / "Maildir", port=free_port())
    await sink.start()
    nc = await connect_nats(nats_server.url, "tests-audit")
    async with AsyncExitStack() as stack:
        stack.push_async_callback(sink.stop)
        stack.push_async_callback(nc.close)
        js = nc.jetstream()

        def db(name: str) -> str:
            return f"sqlite+aiosqlite:///{tmp_path}/{name}.db"

        apps = {
            "notification": notification_app(
                NotificationSettings(database_url=db("notification"), smtp_port=sink.port, **FAST),
                nats_url=nats_server.url,
            ),
            "loyalty": loyalty_app(
                LoyaltySettings(database_url=db("loyalty"), **FAST), nats_url=nats_server.url
            ),
            "analytics": analytics_app(
                AnalyticsSettings(database_url=db("analytics"), **FAST), nats_url=nats_server.url
            ),
        }
        http = {
            name: await stack.enter_async_context(
                httpx.AsyncClient(base_url=url, timeout=10, headers=SERVICE_HEADERS)
            )
            for name, url in participants.urls.items()
        }
        for name, app in apps.items():
            http[name] = (await stack.enter_async_context(running(name, app))).http
        yield Sources(temporal=client, js=js, http=http)


async def quiet_audit(sources: Sources, since: datetime) -> AuditReport:
    """The audit once every consumer has caught up: polled until it finds nothing, else the
    last report (whose violations the caller sees in its assertion)."""
    report: AuditReport | None = None

    async def clean() -> bool:
        nonlocal report
        report = await audit(sources, since=since, stuck_after=STUCK_AFTER, now=datetime.now(UTC))
        return not report.violations

    with suppress(AssertionError):
        await poll(clean, what="a clean audit", within=60)
    assert report is not None
    return report


async def test_audit_is_clean_after_every_outcome_then_reports_what_was_broken(
    client: Client, participants: Participants, sources: Sources
) -> None:
    # From now on, not a second before: the server stamps a start after it is asked, so this
    # test's orders all count, and an order the test before it placed in its last second does not.
    since = datetime.now(UTC)
    undeliverable = Address(
        name="Base", line1="1 Ice Shelf", city="McMurdo", postal_code="96599", country="AQ"
    )
    orders = [
        *(new_order() for _ in range(3)),
        new_order(items=[LineItem(sku="RARE-9", quantity=1)]),
        new_order(payment_token="tok_chargeDeclined"),
        new_order(shipping_address=undeliverable),
    ]
    results = await asyncio.gather(*(run(client, order) for order in orders))
    assert [r.status for r in results] == [OrderStatus.COMPLETED] * 3 + [OrderStatus.FAILED] * 3

    # And one cancelled while its shipment was in flight.
    await participants.hold("shipping")
    handle = await start(client, new_order())
    await participants.until_held("shipping")
    await handle.execute_update(OrderWorkflow.cancel, CancelRequest())
    await participants.release("shipping")
    assert (await handle.result()).status is OrderStatus.CANCELLED

    report = await quiet_audit(sources, since)
    assert report.violations == []
    assert report.statuses == {"COMPLETED": 3, "FAILED": 3, "CANCELLED": 1}
    assert exit_code(report) == 0

    # Break two invariants behind the workflows' backs.
    inventory, payment = sources.http["inventory"], sources.http["payment"]
    orphan = await inventory.post(
        "/reservations",
        json={"order_id": "nobody-ordered-this", "items": [{"sku": "WIDGET-1", "quantity": 1}]},
        headers={"Idempotency-Key": "audit-test-orphan"},
    )
    assert orphan.status_code == 201, orphan.text
    victim = orders[0].order_id
    [charge] = await participants.records("payment", victim)
    refund = await payment.post(
        f"/charges/{charge['id']}/refund", headers={"Idempotency-Key": "audit-test-refund"}
    )
    assert refund.status_code == 200, refund.text

    report = await audit(sources, since=since, stuck_after=STUCK_AFTER, now=datetime.now(UTC))
    found = {(v.order_id, v.invariant) for v in report.violations}
    assert found == {("nobody-ordered-this", "no orphans"), (victim, "one charge")}
    assert exit_code(report) == 1
    console = Console(record=True, width=200)
    show_report(console, report)
    text = console.export_text()
    assert "nobody-ordered-this" in text
    assert "7 orders audited, 2 violations" in text

    # Put the stock back for the tests after this one.
    released = await inventory.post(
        f"/reservations/{orphan.json()['id']}/release",
        headers={"Idempotency-Key": "audit-test-orphan-release"},
    )
    assert released.status_code == 200


def test_a_violation_reads_as_order_invariant_detail() -> None:
    violation = Violation("A-1", "one charge", "none; want exactly one, not undone")
    report = AuditReport(orders={"A-1": "COMPLETED"}, violations=[violation])
    assert report.as_json() == {
        "orders": 1,
        "statuses": {"COMPLETED": 1},
        "violations": [{"order_id": "A-1", "invariant": "one charge", "detail": violation.detail}],
    }
