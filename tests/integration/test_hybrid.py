"""The hybrid pattern end to end: orders run on Temporal, their facts reach the consumers on
NATS, and a consumer that is down delays its side effect without touching any order."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from temporalio.client import Client

from orders.models import OrderStatus
from tests.integration.consumers import mails, running
from tests.integration.orders import poll, run
from tests.integration.participants import HAPPY_TOTAL, new_order
from tests.nats import NatsServer
from tools.smtp_sink.sink import SmtpSink
from tools.stack.processes import free_port
from workers.loyalty.app import create_app as loyalty_app
from workers.loyalty.settings import LoyaltySettings
from workers.notification.app import create_app as notification_app
from workers.notification.settings import NotificationSettings

pytestmark = pytest.mark.usefixtures("worker")

FAST: dict[str, Any] = {"retry_base_seconds": 0.1, "retry_cap_seconds": 0.5}


async def test_twenty_orders_complete_while_notification_is_down_then_all_emails_go_out(
    client: Client, nats_server: NatsServer, tmp_path: Path
) -> None:
    customer = f"cust-{uuid.uuid4().hex[:8]}"
    sink = SmtpSink(tmp_path / "Maildir", port=free_port())

    def notification() -> FastAPI:
        settings = NotificationSettings(
            database_url=f"sqlite+aiosqlite:///{tmp_path}/notification.db",
            smtp_port=sink.port,
            **FAST,
        )
        return notification_app(settings, nats_url=nats_server.url)

    async with running("notification", notification()):
        pass  # its durable consumer exists; now it is stopped

    loyalty = loyalty_app(
        LoyaltySettings(database_url=f"sqlite+aiosqlite:///{tmp_path}/loyalty.db", **FAST),
        nats_url=nats_server.url,
    )
    async with running("loyalty", loyalty) as points:
        # No notification consumer runs: the orders do not care.
        orders = [new_order(customer_id=customer) for _ in range(20)]
        results = await asyncio.gather(*(run(client, order) for order in orders))
        assert {result.status for result in results} == {OrderStatus.COMPLETED}

        async def credited() -> bool:
            return len((await points.points(customer))["entries"]) == 20

        await poll(credited, what="points for all 20 orders", within=60)
        ledger = await points.points(customer)
        assert ledger["points"] == 20 * (HAPPY_TOTAL // 100)  # once each, never twice

    await sink.start()
    try:
        async with running("notification", notification()):

            async def all_sent() -> bool:
                return all(mails(sink.maildir, order.order_id) for order in orders)

            await poll(all_sent, what="an email for each of the 20 orders", within=60)
    finally:
        await sink.stop()
    assert [len(mails(sink.maildir, order.order_id)) for order in orders] == [1] * 20
