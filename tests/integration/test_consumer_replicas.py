"""Several replicas of each consumer on one durable, slow handlers and long outages, on a real
nats-server and a real SMTP sink.

Two replicas of a consumer are two of its apps on one database, bound to the same durable
JetStream consumer; one of them is a separate process where the test kills it. The ack wait is
short here (seconds, not 30), so what a dead or slow replica held comes back within the test.
"""

from __future__ import annotations

import asyncio
import email
import mailbox
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AsyncExitStack
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session
from fastapi import FastAPI
from nats.js import JetStreamContext
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

import orders.bus
from orders.bus import STREAM, connect_nats
from servicekit.db import Database
from tests.databases import Databases
from tests.integration.consumers import (
    RunningConsumer,
    dead_letters,
    publish,
    reset_bus,
    running,
)
from tests.integration.orders import poll
from tests.nats import NatsServer, running_nats
from tests.sample_events import completed_event, new_order_id
from tools.smtp_sink.sink import HOSTNAME, MaildirHandler, SmtpSink
from tools.stack.processes import Process, free_port, wait_until
from workers.analytics.app import create_app as analytics_app
from workers.analytics.settings import AnalyticsSettings
from workers.consumer.handler import Event
from workers.loyalty.app import create_app as loyalty_app
from workers.loyalty.handler import LoyaltyHandler
from workers.loyalty.settings import LoyaltySettings
from workers.notification.app import create_app as notification_app
from workers.notification.models import Notification
from workers.notification.settings import NotificationSettings

ACK_WAIT = 2.0
DAY = "2025-03-14"  # the UTC day of the sample events
FAST: dict[str, Any] = {
    "retry_base_seconds": 0.1,
    "retry_cap_seconds": 1.0,
    "probe_base_seconds": 0.2,
    "probe_cap_seconds": 1.0,
    "fetch_timeout_seconds": 0.2,
}


@pytest.fixture(scope="module")
async def bus(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[NatsServer]:
    async with running_nats(tmp_path_factory.mktemp("replicas-nats")) as server:
        yield server


@pytest.fixture(scope="module")
async def js(bus: NatsServer) -> AsyncIterator[JetStreamContext]:
    connection = await connect_nats(bus.url, "tests-replicas")  # provisioned by running_nats
    try:
        yield connection.jetstream()
    finally:
        await connection.close()


@pytest.fixture(autouse=True)
async def _fresh_bus(js: JetStreamContext, monkeypatch: pytest.MonkeyPatch) -> None:
    # Each test provisions new durables, with an ack wait of seconds.
    monkeypatch.setattr(orders.bus, "ACK_WAIT", timedelta(seconds=ACK_WAIT))
    await reset_bus(js)


# --- the mail server, as the tests need it -----------------------------------------------------


class Sink(SmtpSink):
    """The SMTP sink, with a handler of the test's choosing (which files into one Maildir)."""

    def __init__(self, handler: MaildirHandler, maildir: Path) -> None:
        super().__init__(maildir, port=free_port())
        self.handler = handler

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: SMTP(self.handler, hostname=HOSTNAME, loop=loop), self.host, self.port
        )


class Holding(MaildirHandler):
    """Accepts `allowed` messages, then holds the next one at MAIL FROM until released."""

    def __init__(self, maildir: Path, allowed: int) -> None:
        super().__init__(maildir)
        self.allowed = allowed
        self.accepted = 0
        self.held = asyncio.Event()
        self.released = asyncio.Event()

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.accepted >= self.allowed:
            self.held.set()
            await self.released.wait()
            return "421 closing"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        answer = await super().handle_DATA(server, session, envelope)
        self.accepted += 1
        return answer


class Slow(MaildirHandler):
    """Takes `seconds` over each message before accepting it: a mail server under load."""

    def __init__(self, maildir: Path, seconds: float) -> None:
        super().__init__(maildir)
        self.seconds = seconds

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        await asyncio.sleep(self.seconds)
        return await super().handle_DATA(server, session, envelope)


def sent(maildir: Path) -> Counter[str]:
    """How many emails the Maildir holds about each event id."""
    if not maildir.exists():
        return Counter()
    box = mailbox.Maildir(maildir, create=False)
    return Counter(
        str(email.message_from_bytes(box.get_bytes(key))["X-Event-Id"]) for key in box.iterkeys()
    )


def _is_set(event: asyncio.Event) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return event.is_set()

    return check


# --- the replicas ------------------------------------------------------------------------------


async def processed(replicas: Sequence[RunningConsumer]) -> list[float]:
    return [await replica.metric("events_processed_total") for replica in replicas]


async def all_processed(replicas: Sequence[RunningConsumer], count: int, within: float) -> None:
    async def done() -> bool:
        return sum(await processed(replicas)) >= count

    await poll(done, what=f"{replicas[0].name}: {count} events applied", within=within)


async def deliveries(js: JetStreamContext, name: str) -> int:
    """Deliveries the durable made so far, redeliveries included (its consumer sequence)."""
    info = await js.consumer_info(STREAM, name)
    return info.delivered.consumer_seq if info.delivered is not None else 0


async def publish_orders(js: JetStreamContext, count: int, customers: int = 10) -> list[Event]:
    events: list[Event] = [
        completed_event(new_order_id("rep"), customer_id=f"cust-rep-{n % customers}")
        for n in range(count)
    ]
    for event in events:
        await publish(js, event)
    return events


async def test_two_replicas_of_each_consumer_apply_200_orders_once_and_share_the_work(
    bus: NatsServer, js: JetStreamContext, databases: Databases, tmp_path: Path
) -> None:
    count, customers = 200, 10
    maildir = tmp_path / "Maildir"
    sink = SmtpSink(maildir, port=free_port())
    await sink.start()
    notification = NotificationSettings(
        database_url=await databases.url("notification"), smtp_port=sink.port, **FAST
    )
    loyalty = LoyaltySettings(database_url=await databases.url("loyalty"), **FAST)
    analytics = AnalyticsSettings(database_url=await databases.url("analytics"), **FAST)
    try:
        async with AsyncExitStack() as stack:
            apps: dict[str, Callable[[], FastAPI]] = {
                "notification": lambda: notification_app(notification, nats_url=bus.url),
                "loyalty": lambda: loyalty_app(loyalty, nats_url=bus.url),
                "analytics": lambda: analytics_app(analytics, nats_url=bus.url),
            }
            replicas = {
                name: [await stack.enter_async_context(running(name, app())) for _ in range(2)]
                for name, app in apps.items()
            }
            events = await publish_orders(js, count, customers)
            for group in replicas.values():
                await all_processed(group, count, within=120)

            for name, group in replicas.items():
                shares = await processed(group)
                assert sum(shares) == count, (name, shares)
                assert min(shares) > 0, f"{name}: one replica did all the work: {shares}"
            first = replicas["loyalty"][0]
            for n in range(customers):
                points = await first.points(f"cust-rep-{n}")
                assert points["points"] == 75 * count // customers
                assert len(points["entries"]) == count // customers
            daily = await replicas["analytics"][1].daily(DAY)
            assert daily["outcomes"]["completed"] == count
            units = {row["sku"]: row["units"] for row in daily["skus"]}
            assert units == {"WIDGET-1": 2 * count, "GADGET-2": count}
    finally:
        await sink.stop()
    emails = sent(maildir)
    assert emails == Counter({event.id: 1 for event in events})
    assert await dead_letters(js) == []


async def test_a_replica_killed_mid_batch_loses_no_email_and_sends_none_twice(
    bus: NatsServer, js: JetStreamContext, tmp_path: Path
) -> None:
    count, batch, before_kill = 30, 10, 3
    maildir = tmp_path / "Maildir"
    holding = Holding(maildir, allowed=before_kill)
    doomed_sink, survivor_sink = Sink(holding, maildir), SmtpSink(maildir, port=free_port())
    await doomed_sink.start()
    await survivor_sink.start()
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'notification.db'}"
    doomed = Process(
        "notification-doomed",
        [sys.executable, "-m", "tests.integration.consumer_process", "notification"],
        {
            "TEST_ACK_WAIT_SECONDS": str(ACK_WAIT),
            "ORDERS_NATS_URL": bus.url,
            "NOTIFICATION_PORT": str(free_port()),
            "NOTIFICATION_DATABASE_URL": db_url,
            "NOTIFICATION_SMTP_PORT": str(doomed_sink.port),
            "NOTIFICATION_BATCH_SIZE": str(batch),
            "NOTIFICATION_FETCH_TIMEOUT_SECONDS": "0.2",
        },
        tmp_path / "doomed.log",
    )
    # Published first, so that the replica's first fetch is a whole batch.
    events = await publish_orders(js, count)
    try:
        doomed.start()
        # It fetched a batch, sent three emails, and is held sending the fourth.
        await wait_until(
            _is_set(holding.held), what="the replica held mid-batch", within=60, process=doomed
        )

        settings = NotificationSettings(
            database_url=db_url, smtp_port=survivor_sink.port, batch_size=batch, **FAST
        )
        async with running("notification", notification_app(settings, nats_url=bus.url)) as other:
            info = await js.consumer_info(STREAM, "notification")
            held_by_doomed = batch - before_kill
            assert (info.num_ack_pending or 0) >= held_by_doomed
            assert doomed.popen is not None
            doomed.popen.kill()  # SIGKILL: no stop, no hand-back, no drain
            doomed.popen.wait()
            holding.released.set()
            await all_processed([other], count - before_kill, within=60)
            # What the dead replica held came back, to the survivor.
            assert await deliveries(js, "notification") >= count + held_by_doomed
    finally:
        doomed.stop()
        holding.released.set()
        await doomed_sink.stop()
        await survivor_sink.stop()

    assert holding.accepted == before_kill
    assert sent(maildir) == Counter({event.id: 1 for event in events})
    db = Database(db_url)
    try:
        async with db.readers() as session:
            rows = await session.scalar(select(func.count()).select_from(Notification))
    finally:
        await db.dispose()
    assert rows == count
    assert await dead_letters(js) == []


async def test_a_slow_mail_server_keeps_its_messages_and_sends_nothing_twice(
    bus: NatsServer, js: JetStreamContext, tmp_path: Path
) -> None:
    count, batch = 20, 10
    # Each email takes three times ack wait ÷ batch: a batch takes three ack waits.
    per_email = 3 * ACK_WAIT / batch
    maildir = tmp_path / "Maildir"
    sink = Sink(Slow(maildir, per_email), maildir)
    await sink.start()
    settings = NotificationSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'notification.db'}",
        smtp_port=sink.port,
        batch_size=batch,
        **FAST,
    )
    # Published first, so that each replica's first fetch is a whole batch.
    events = await publish_orders(js, count)
    try:
        async with (
            running("notification", notification_app(settings, nats_url=bus.url)) as one,
            running("notification", notification_app(settings, nats_url=bus.url)) as two,
        ):
            await all_processed([one, two], count, within=120)
            duplicates = [await r.metric("events_duplicate_total") for r in (one, two)]
            # Held by in_progress: never handed to the other replica, no delivery spent.
            assert await deliveries(js, "notification") == count
            assert duplicates == [0, 0]
    finally:
        await sink.stop()
    assert sent(maildir) == Counter({event.id: 1 for event in events})


async def readiness(replica: RunningConsumer) -> httpx.Response:
    return await replica.http.get("/readyz")


@pytest.mark.timeout(420)
async def test_smtp_down_for_two_minutes_dead_letters_nothing_and_sends_every_email_after(
    bus: NatsServer, js: JetStreamContext, tmp_path: Path
) -> None:
    outage, count, threshold = 120.0, 100, 5
    maildir = tmp_path / "Maildir"
    sink = SmtpSink(maildir, port=free_port())  # not started: the mail server is down
    settings = NotificationSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'notification.db'}",
        smtp_port=sink.port,
        breaker_threshold=threshold,
        **FAST,
    )
    started = time.monotonic()
    async with (
        running("notification", notification_app(settings, nats_url=bus.url)) as one,
        running("notification", notification_app(settings, nats_url=bus.url)) as two,
    ):
        replicas = (one, two)
        events = await publish_orders(js, count // 2)

        async def both_open() -> bool:
            return all([await r.metric("breaker_open") == 1 for r in replicas])

        await poll(both_open, what="both breakers open", within=60)
        for replica in replicas:
            ready = await readiness(replica)
            assert ready.status_code == 503
            assert ready.json()["code"] == "consumer_not_ready"
            assert "dependency down: ConnectionRefusedError" in ready.json()["detail"]
            assert (await replica.http.get("/healthz")).status_code == 200  # alive all along
        events += await publish_orders(js, count - count // 2)  # orders keep completing

        async def outage_over() -> bool:
            assert await dead_letters(js) == []
            return time.monotonic() - started >= outage

        await poll(outage_over, what="the outage", within=outage + 30)
        # While open, nothing was fetched: no attempt spent beyond those that opened it.
        failures = [await r.metric("events_failed_total") for r in replicas]
        assert sum(failures) <= 2 * threshold, failures
        assert [await r.metric("events_processed_total") for r in replicas] == [0, 0]

        await sink.start()
        try:
            await all_processed(replicas, count, within=120)
            for replica in replicas:
                assert await replica.metric("breaker_open") == 0
                assert (await readiness(replica)).status_code == 200
        finally:
            await sink.stop()
    assert sent(maildir) == Counter({event.id: 1 for event in events})
    assert await dead_letters(js) == []


class BadData(LoyaltyHandler):
    """Loyalty, which cannot take the orders of one customer (data it was never meant to see)."""

    async def apply(self, session: AsyncSession, event: Event) -> None:
        if event.data.customer.id == "cust-bad":
            raise ValueError("cannot credit cust-bad: no such loyalty account")
        await super().apply(session, event)


async def test_a_message_failure_still_dead_letters_within_its_attempts(
    bus: NatsServer, js: JetStreamContext, tmp_path: Path
) -> None:
    # The retry budget is six hours, the breaker as shipped: only max_attempts bound bad data.
    settings = LoyaltySettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'loyalty.db'}",
        max_attempts=4,
        retry_base_seconds=0.1,
        fetch_timeout_seconds=0.2,
    )
    assert settings.max_retry_seconds == 6 * 3600
    async with (
        running("loyalty", loyalty_app(settings, nats_url=bus.url, handler=BadData())) as one,
        running("loyalty", loyalty_app(settings, nats_url=bus.url, handler=BadData())) as two,
    ):
        bad = completed_event(new_order_id("bad"), customer_id="cust-bad")
        await publish(js, bad)
        good = await publish_orders(js, 10)

        async def dead_lettered() -> bool:
            return sum([await r.metric("events_dead_lettered_total") for r in (one, two)]) == 1

        await poll(dead_lettered, what="the bad event dead-lettered", within=60)
        await all_processed([one, two], len(good), within=60)
        assert [await r.metric("breaker_open") for r in (one, two)] == [0, 0]
    [letter] = await dead_letters(js, "loyalty")
    assert (letter.headers or {})[orders.bus.DLQ_REASON].startswith(
        "failed 4 times; last error: ValueError: cannot credit cust-bad"
    )
