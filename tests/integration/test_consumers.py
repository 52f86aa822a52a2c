"""The choreographed side effects on a real nats-server and a real SMTP sink.

The module runs its own nats-server, so purging streams and reading dead letters here never
touches other test files; each test starts from empty streams and new durable consumers. The
consumers run in process (their FastAPI app's lifespan), each on its own SQLite file.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import hypothesis
import pytest
from hypothesis import HealthCheck, given
from hypothesis import strategies as st
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

import orders.bus
from cli.bus.provision import provision
from cli.dlq.dead_letters import list_dead_letters, replay_dead_letter
from cli.events.replay import replay_events
from orders.bus import (
    DLQ_CONSUMER,
    DLQ_DELIVERIES,
    DLQ_REASON,
    DLQ_STREAM_SEQ,
    DLQ_SUBJECT,
    MSG_ID,
    connect_nats,
    dlq_subject,
    redeliver_subject,
)
from orders.events import subject_token
from orders.problems import PROBLEM_MEDIA_TYPE
from servicekit.db import Database
from tests.databases import Databases
from tests.integration.consumers import (
    Flaky,
    RunningConsumer,
    dead_letters,
    mails,
    publish,
    publish_raw,
    reset_bus,
    running,
)
from tests.integration.orders import poll
from tests.nats import NatsServer, running_nats
from tests.sample_events import cancelled_event, completed_event, failed_event, new_order_id
from tools.smtp_sink.sink import SmtpSink
from tools.stack.processes import Process, free_port, wait_until
from tools.stack.ready import port_open
from workers.analytics.app import create_app as analytics_app
from workers.analytics.settings import AnalyticsSettings
from workers.consumer.delivery import Delivery
from workers.consumer.handler import Event, Handler
from workers.consumer.metrics import ConsumerMetrics
from workers.consumer.processed import ProcessedBase, ProcessedEvent
from workers.consumer.runner import ConsumerRunner
from workers.consumer.settings import RetryPolicy
from workers.loyalty.app import create_app as loyalty_app
from workers.loyalty.handler import LoyaltyHandler
from workers.loyalty.models import Base as LoyaltyBase
from workers.loyalty.models import LedgerEntry
from workers.loyalty.settings import LoyaltySettings
from workers.notification.app import create_app as notification_app
from workers.notification.compose import message_id
from workers.notification.settings import NotificationSettings

DAY = "2025-03-14"  # the UTC day of the events' timestamps
FAST: dict[str, Any] = {
    "max_attempts": 3,
    "retry_base_seconds": 0.05,
    "retry_cap_seconds": 0.2,
    "fetch_timeout_seconds": 0.2,
}


@pytest.fixture(scope="module")
async def bus(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[NatsServer]:
    async with running_nats(tmp_path_factory.mktemp("consumers-nats")) as server:
        yield server


@pytest.fixture(scope="module")
async def nc(bus: NatsServer) -> AsyncIterator[NATS]:
    connection = await connect_nats(bus.url, "tests-consumers")
    try:
        yield connection
    finally:
        await connection.close()


@pytest.fixture(scope="module")
def js(nc: NATS) -> JetStreamContext:
    return nc.jetstream()


@pytest.fixture(scope="module")
async def sink(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[SmtpSink]:
    server = SmtpSink(tmp_path_factory.mktemp("mail") / "Maildir", port=free_port())
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture(autouse=True)
async def _empty_bus(js: JetStreamContext) -> None:
    await reset_bus(js)


@dataclass
class Consumers:
    notification: RunningConsumer
    loyalty: RunningConsumer
    analytics: RunningConsumer

    def all(self) -> list[RunningConsumer]:
        return [self.notification, self.loyalty, self.analytics]


def db_url(directory: Path, name: str) -> str:
    return f"sqlite+aiosqlite:///{directory / name}.db"


@pytest.fixture
async def consumers(
    bus: NatsServer, sink: SmtpSink, databases: Databases
) -> AsyncIterator[Consumers]:
    """The three consumers, with fast retries, on fresh databases (SQLite, then PostgreSQL)."""
    notification = notification_app(
        NotificationSettings(
            database_url=await databases.url("notification"), smtp_port=sink.port, **FAST
        ),
        nats_url=bus.url,
    )
    loyalty = loyalty_app(
        LoyaltySettings(database_url=await databases.url("loyalty"), **FAST), nats_url=bus.url
    )
    analytics = analytics_app(
        AnalyticsSettings(database_url=await databases.url("analytics"), **FAST),
        nats_url=bus.url,
    )
    async with (
        running("notification", notification) as n,
        running("loyalty", loyalty) as lo,
        running("analytics", analytics) as a,
    ):
        yield Consumers(n, lo, a)


async def settled(consumer: RunningConsumer, sample: str, value: float) -> None:
    async def reached() -> bool:
        return await consumer.metric(sample) >= value

    await poll(reached, what=f"{consumer.name}: {sample} reaches {value}", within=20)


# --- 1. one event, one effect each ------------------------------------------------------------


async def test_completed_order_emails_credits_and_counts_once(
    js: JetStreamContext, consumers: Consumers, sink: SmtpSink
) -> None:
    order_id = new_order_id()
    event = completed_event(order_id)
    await publish(js, event)

    for consumer in consumers.all():
        await settled(consumer, "events_processed_total", 1)

    [mail] = mails(sink.maildir, order_id)
    assert mail["Subject"] == f"Your order {order_id} is confirmed"
    assert mail["To"] == "ada@example.com"
    assert mail["From"] == "orders@hybrid-orders.example"
    assert mail["Message-ID"] == message_id(event.id)
    body = mail.get_body()
    assert body is not None
    text = body.get_content()
    assert "75.99 USD" in text
    assert "50.00 USD" in text
    assert "RM123456789GB" in text

    points = await consumers.loyalty.points("cust-42")
    assert points["points"] == 75
    assert [entry["order_id"] for entry in points["entries"]] == [order_id]

    daily = await consumers.analytics.daily(DAY)
    assert daily["skus"] == [
        {"sku": "GADGET-2", "currency": "USD", "units": 1, "revenue": 2599},
        {"sku": "WIDGET-1", "currency": "USD", "units": 2, "revenue": 5000},
    ]
    assert daily["outcomes"] == {"completed": 1, "failed": 0, "cancelled": 0}


# --- 2. the same event delivered again --------------------------------------------------------


async def test_an_event_delivered_three_times_is_applied_once(
    js: JetStreamContext, consumers: Consumers, sink: SmtpSink
) -> None:
    order_id = new_order_id()
    event = completed_event(order_id)
    await publish(js, event)
    # Two more copies on the events subject (new msg ids defeat the publish deduplication), and
    # a replay meant for loyalty alone.
    await publish(js, event, msg_id=f"{event.id}:copy-1")
    await publish(js, event, msg_id=f"{event.id}:copy-2")
    await publish(
        js, event, msg_id=f"{event.id}:replay", subject=redeliver_subject("loyalty", order_id)
    )

    await settled(consumers.notification, "events_duplicate_total", 2)
    await settled(consumers.analytics, "events_duplicate_total", 2)
    await settled(consumers.loyalty, "events_duplicate_total", 3)
    for consumer in consumers.all():
        assert await consumer.metric("events_processed_total") == 1

    assert len(mails(sink.maildir, order_id)) == 1
    assert (await consumers.loyalty.points("cust-42"))["points"] == 75
    daily = await consumers.analytics.daily(DAY)
    assert {row["sku"]: row["units"] for row in daily["skus"]} == {"GADGET-2": 1, "WIDGET-1": 2}
    assert daily["outcomes"]["completed"] == 1
    # The loyalty replay went to loyalty only: the others saw three deliveries, not four.
    assert await consumers.notification.metric("events_duplicate_total") == 2


# --- 3. transient failures recover without loss -----------------------------------------------


async def test_email_waits_out_an_smtp_outage_and_is_sent_once(
    js: JetStreamContext, bus: NatsServer, tmp_path: Path, databases: Databases
) -> None:
    outage = SmtpSink(tmp_path / "Maildir", port=free_port())  # not started yet: refused
    settings = NotificationSettings(
        database_url=await databases.url("notification"),
        smtp_port=outage.port,
        max_attempts=10,
        retry_base_seconds=0.1,
        retry_cap_seconds=0.4,
        fetch_timeout_seconds=0.2,
    )
    order_id = new_order_id()
    async with running("notification", notification_app(settings, nats_url=bus.url)) as consumer:
        await publish(js, completed_event(order_id))
        await settled(consumer, "events_failed_total", 2)
        assert mails(outage.maildir, order_id) == []

        await outage.start()
        try:
            await settled(consumer, "events_processed_total", 1)
        finally:
            await outage.stop()
        failures = await consumer.metric("events_failed_total")
        assert await consumer.metric("events_dead_lettered_total") == 0
        [sent] = await consumer.notifications(order_id)
    # Ten attempts without delays would have been spent in milliseconds and dead-lettered.
    assert 2 <= failures < 10
    assert len(mails(outage.maildir, order_id)) == 1
    assert sent["kind"] == "completed"
    assert await dead_letters(js) == []


async def test_a_handler_failing_twice_is_retried_with_growing_delays(
    js: JetStreamContext, bus: NatsServer, databases: Databases
) -> None:
    base = 0.3
    flaky = Flaky(LoyaltyHandler(), failures=2)
    settings = LoyaltySettings(
        database_url=await databases.url("loyalty"),
        max_attempts=3,
        retry_base_seconds=base,
        retry_cap_seconds=10,
        fetch_timeout_seconds=0.2,
    )
    app = loyalty_app(settings, nats_url=bus.url, handler=flaky)
    async with running("loyalty", app) as consumer:
        await publish(js, completed_event(new_order_id(), customer_id="cust-flaky"))
        await settled(consumer, "events_processed_total", 1)
        assert await consumer.metric("events_failed_total") == 2
        assert (await consumer.points("cust-flaky"))["points"] == 75

    first, second, third = flaky.attempts
    # nak(delay=base * 2**(n-1)): 0.3 s after the first delivery, 0.6 s after the second.
    assert second - first >= base * 0.9
    assert third - second >= 2 * base * 0.9
    assert await dead_letters(js) == []


# --- 4. poison is dead-lettered at once -------------------------------------------------------


async def test_poison_events_are_dead_lettered_at_once_and_later_events_applied(
    js: JetStreamContext, consumers: Consumers
) -> None:
    garbage = b"{not json"
    garbage_subject = "orders.events.completed.garbage"
    garbage_seq = await publish_raw(js, garbage_subject, garbage)

    invalid_order = new_order_id("bad")
    invalid = completed_event(invalid_order).model_dump(mode="json")
    invalid["traceparent"] = "not-a-traceparent"
    del invalid["data"]["customer"]
    invalid_payload = json.dumps(invalid).encode()
    invalid_subject = f"orders.events.completed.{subject_token(invalid_order)}"
    invalid_seq = await publish_raw(js, invalid_subject, invalid_payload)

    good_order = new_order_id()
    await publish(js, completed_event(good_order, customer_id="cust-after-poison"))

    for consumer in consumers.all():
        await settled(consumer, "events_processed_total", 1)
        assert await consumer.metric("events_dead_lettered_total") == 2
        assert await consumer.metric("events_failed_total") == 0

        letters = {letter.subject: letter for letter in await dead_letters(js, consumer.name)}
        assert set(letters) == {
            dlq_subject(consumer.name, "unknown"),
            dlq_subject(consumer.name, invalid_order),
        }
        for letter, payload, subject, seq in (
            (letters[dlq_subject(consumer.name, "unknown")], garbage, garbage_subject, garbage_seq),
            (
                letters[dlq_subject(consumer.name, invalid_order)],
                invalid_payload,
                invalid_subject,
                invalid_seq,
            ),
        ):
            headers = letter.headers or {}
            assert letter.data == payload
            assert headers[DLQ_REASON].startswith("invalid event: ")
            assert headers[DLQ_CONSUMER] == consumer.name
            assert headers[DLQ_DELIVERIES] == "1"
            assert headers[DLQ_STREAM_SEQ] == str(seq)
            assert headers[DLQ_SUBJECT] == subject
            assert headers[MSG_ID] == f"dlq:{consumer.name}:{seq}"
        reason = (letters[dlq_subject(consumer.name, invalid_order)].headers or {})[DLQ_REASON]
        assert "traceparent" in reason
        assert "customer" in reason

    assert (await consumers.loyalty.points("cust-after-poison"))["points"] == 75


def garbage_payloads(count: int) -> list[bytes]:
    """`count` payloads drawn by hypothesis, none of them a valid event: raw bytes, arbitrary
    JSON, a real event cut short, or a real event missing a required field."""
    event = completed_event(new_order_id("fuzz")).model_dump(mode="json")
    whole = json.dumps(event).encode()
    required = ["id", "type", "time", "subject", "correlationid", "traceparent", "data"]
    json_values = st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=10,
    )
    payloads = st.one_of(
        st.binary(max_size=200),
        json_values.map(lambda value: json.dumps(value).encode()),
        st.integers(1, len(whole) - 1).map(lambda cut: whole[:cut]),
        st.sampled_from(required).map(
            lambda key: json.dumps({k: v for k, v in event.items() if k != key}).encode()
        ),
    )
    drawn: list[bytes] = []

    @hypothesis.settings(max_examples=count, database=None, suppress_health_check=list(HealthCheck))
    @given(payloads)
    def draw(payload: bytes) -> None:
        drawn.append(payload)

    draw()
    return drawn[:count]


async def test_generated_garbage_is_dead_lettered_and_never_stops_a_consumer(
    js: JetStreamContext, consumers: Consumers
) -> None:
    garbage = garbage_payloads(25)
    for number, payload in enumerate(garbage):
        await publish_raw(js, f"orders.events.completed.fuzz-{number}", payload)
    await publish(js, completed_event(new_order_id(), customer_id="cust-after-garbage"))

    for consumer in consumers.all():
        await settled(consumer, "events_processed_total", 1)
        await settled(consumer, "events_dead_lettered_total", len(garbage))
        assert await consumer.metric("events_dead_lettered_total") == len(garbage)
        assert await consumer.metric("events_failed_total") == 0
    assert (await consumers.loyalty.points("cust-after-garbage"))["points"] == 75


# --- 5. bounded retries end in the DLQ --------------------------------------------------------


class Buggy(Handler[None]):
    """Fails every event on its own (a bug in the consumer, or data it cannot take)."""

    async def effect(self, event: Event) -> None:
        raise ValueError(f"cannot handle {event.id}")

    async def record(self, session: AsyncSession, event: Event, effect: None) -> None:
        raise AssertionError("never reached")


async def test_a_message_failing_past_max_attempts_is_dead_lettered(
    js: JetStreamContext, bus: NatsServer, tmp_path: Path, sink: SmtpSink
) -> None:
    settings = NotificationSettings(
        database_url=db_url(tmp_path, "notification"), smtp_port=sink.port, **FAST
    )
    order_id = new_order_id()
    app = notification_app(settings, nats_url=bus.url, handler=Buggy())
    async with running("notification", app) as consumer:
        seq = await publish(js, completed_event(order_id))
        await settled(consumer, "events_dead_lettered_total", 1)
        assert await consumer.metric("events_failed_total") == 3
        assert await consumer.metric("events_processed_total") == 0
        assert await consumer.metric("breaker_open") == 0  # its own fault, not SMTP's
        assert await consumer.metric("lag") == 0

    [letter] = await dead_letters(js, "notification")
    headers = letter.headers or {}
    assert letter.subject == dlq_subject("notification", order_id)
    assert headers[DLQ_DELIVERIES] == "3"
    assert headers[DLQ_STREAM_SEQ] == str(seq)
    assert headers[DLQ_REASON].startswith("failed 3 times; last error: ValueError")


async def test_a_dependency_failing_past_the_retry_budget_dead_letters_the_event(
    js: JetStreamContext, bus: NatsServer, tmp_path: Path
) -> None:
    """Past `max_retry_seconds` of age, an event whose dependency still fails goes to the DLQ
    (the breaker held shut here, so that it keeps being tried)."""
    settings = NotificationSettings(
        database_url=db_url(tmp_path, "notification"),
        smtp_port=free_port(),  # nothing listens there
        **FAST,
        max_retry_seconds=1.0,
        breaker_threshold=1000,
    )
    order_id = new_order_id()
    async with running("notification", notification_app(settings, nats_url=bus.url)) as consumer:
        await publish(js, completed_event(order_id))
        await settled(consumer, "events_dead_lettered_total", 1)
        # More deliveries than max_attempts: a dependency failure does not spend them.
        assert await consumer.metric("events_failed_total") > FAST["max_attempts"]
        assert await consumer.notifications(order_id) == []

    [letter] = await dead_letters(js, "notification")
    reason = (letter.headers or {})[DLQ_REASON]
    assert "past the retry budget of 1s" in reason
    assert "ConnectionRefusedError" in reason


# --- 6. failed and cancelled orders -----------------------------------------------------------


async def test_failed_and_cancelled_orders_are_notified_and_earn_no_points(
    js: JetStreamContext, consumers: Consumers, sink: SmtpSink
) -> None:
    failed_order, cancelled_order = new_order_id("failed"), new_order_id("cancelled")
    await publish(js, failed_event(failed_order, customer_id="cust-unlucky"))
    await publish(js, cancelled_event(cancelled_order, customer_id="cust-unlucky"))
    for consumer in consumers.all():
        await settled(consumer, "events_processed_total", 2)

    [failed_mail] = mails(sink.maildir, failed_order)
    assert failed_mail["Subject"] == f"We could not complete your order {failed_order}"
    assert failed_mail["To"] == "cust-unlucky@customers.example.com"
    failed_body = failed_mail.get_body()
    assert failed_body is not None
    assert "your payment was declined" in failed_body.get_content()
    [cancelled_mail] = mails(sink.maildir, cancelled_order)
    assert cancelled_mail["Subject"] == f"Your order {cancelled_order} is cancelled"
    cancelled_body = cancelled_mail.get_body()
    assert cancelled_body is not None
    assert "refunded" in cancelled_body.get_content()

    assert await consumers.loyalty.points("cust-unlucky") == {
        "customer_id": "cust-unlucky",
        "points": 0,
        "entries": [],
    }
    daily = await consumers.analytics.daily(DAY)
    assert daily["skus"] == []
    assert daily["outcomes"] == {"completed": 0, "failed": 1, "cancelled": 1}


# --- 7. HTTP: health, metrics, read endpoints -------------------------------------------------


async def test_health_metrics_and_read_endpoints(
    js: JetStreamContext, consumers: Consumers
) -> None:
    for consumer in consumers.all():
        health = await consumer.http.get("/healthz")
        assert (health.status_code, health.json()) == (200, {"status": "ok"})
        response = await consumer.http.get("/metrics")
        assert response.headers["content-type"].startswith("text/plain")
        assert await consumer.metric("events_processed_total") == 0

    order_id = new_order_id()
    await publish(js, completed_event(order_id, customer_id="cust-http"))
    for consumer in consumers.all():
        await settled(consumer, "events_processed_total", 1)
        assert await consumer.metric("lag") == 0

    [sent] = await consumers.notification.notifications(order_id)
    assert sent["to"] == "ada@example.com"
    assert sent["subject"] == f"Your order {order_id} is confirmed"
    assert sent["event_id"] == f"orders.order.completed.v1:{order_id}"
    assert await consumers.notification.notifications("no-such-order") == []
    bad_limit = await consumers.notification.http.get("/notifications", params={"limit": 0})
    assert bad_limit.status_code == 422
    assert bad_limit.headers["content-type"] == PROBLEM_MEDIA_TYPE

    points = await consumers.loyalty.points("cust-http")
    assert points["customer_id"] == "cust-http"
    assert points["points"] == 75
    assert points["entries"][0]["event_id"] == f"orders.order.completed.v1:{order_id}"

    assert (await consumers.analytics.daily("2001-01-01"))["outcomes"]["completed"] == 0
    bad_day = await consumers.analytics.http.get("/daily", params={"day": "yesterday"})
    assert bad_day.status_code == 422
    assert bad_day.json()["code"] == "validation_error"


async def test_health_is_503_while_nats_is_down_and_recovers(
    js: JetStreamContext, bus: NatsServer, consumers: Consumers
) -> None:
    loyalty = consumers.loyalty
    bus.stop()
    try:

        async def unhealthy() -> bool:
            return (await loyalty.http.get("/healthz")).status_code == 503

        await poll(unhealthy, what="healthz 503 without NATS")
        problem = await loyalty.http.get("/healthz")
        assert problem.headers["content-type"] == PROBLEM_MEDIA_TYPE
        assert problem.json()["code"] == "consumer_unavailable"
    finally:
        await bus.start()

    async def healthy() -> bool:
        return (await loyalty.http.get("/healthz")).status_code == 200

    await poll(healthy, what="healthz 200 once NATS is back")
    await publish(js, completed_event(new_order_id(), customer_id="cust-after-outage"))
    await settled(loyalty, "events_processed_total", 1)
    assert (await loyalty.points("cust-after-outage"))["points"] == 75


# --- 8. a crash mid-batch loses nothing and applies nothing twice -----------------------------


def sample(metrics: ConsumerMetrics, counter: str) -> float:
    name = f"orders_consumer_events_{counter}_total"
    return metrics.registry.get_sample_value(name, {"consumer": metrics.consumer}) or 0.0


class CrashBeforeAck(Delivery):
    """Hangs, its effect committed, just before acknowledging the `nth` message: a crash there
    is the worst moment, since the event is applied but JetStream will deliver it again."""

    def __init__(self, *args: Any, nth: int) -> None:
        super().__init__(*args)
        self.nth = nth
        self.acks = 0
        self.hung = asyncio.Event()

    async def acknowledge(self, msg: Msg) -> None:
        self.acks += 1
        if self.acks == self.nth:
            self.hung.set()
            await asyncio.Event().wait()  # until the task is cancelled
        await super().acknowledge(msg)


async def test_a_consumer_killed_mid_batch_loses_nothing_and_applies_nothing_twice(
    js: JetStreamContext, bus: NatsServer, databases: Databases, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What the killed consumer had fetched comes back after the ack wait: 2 s, not 30, here.
    monkeypatch.setattr(orders.bus, "ACK_WAIT", timedelta(seconds=2))
    await provision(js)  # the consumer is only read by the runner: provision the short ack wait
    count, crash_at, batch = 30, 11, 10
    for _ in range(count):
        await publish(js, completed_event(new_order_id("kill"), customer_id="cust-kill"))

    db = Database(await databases.url("loyalty"))
    await db.create_all([LoyaltyBase.metadata, ProcessedBase.metadata])
    policy = RetryPolicy(max_attempts=5, base_seconds=0.05, cap_seconds=0.2)

    async def start(delivery_class: type[Delivery], **kwargs: Any) -> tuple[NATS, ConsumerRunner]:
        connection = await connect_nats(bus.url, "tests-loyalty")
        metrics = ConsumerMetrics("loyalty")
        delivery = delivery_class(
            "loyalty", connection.jetstream(), db, LoyaltyHandler(), policy, metrics, **kwargs
        )
        runner = ConsumerRunner(
            "loyalty", connection, delivery, metrics, batch_size=batch, fetch_timeout=0.2
        )
        runner.start()
        return connection, runner

    async def ledger() -> tuple[int, int, int]:
        async with db.readers() as session:
            rows = await session.scalar(select(func.count()).select_from(LedgerEntry))
            events = await session.scalar(select(func.count(func.distinct(LedgerEntry.event_id))))
            processed = await session.scalar(select(func.count()).select_from(ProcessedEvent))
        return rows or 0, events or 0, processed or 0

    try:
        connection, crashing = await start(CrashBeforeAck, nth=crash_at)
        assert isinstance(crashing.delivery, CrashBeforeAck) and crashing.task is not None
        await asyncio.wait_for(crashing.delivery.hung.wait(), 20)
        crashing.task.cancel()  # the process dies: no stop, no hand-back, no drain
        await asyncio.gather(crashing.task, return_exceptions=True)
        await connection.close()
        # Ten applied and acknowledged, the eleventh applied only; the rest of its batch fetched.
        assert await ledger() == (crash_at, crash_at, crash_at)

        connection, restarted = await start(Delivery)
        try:

            async def all_applied() -> bool:
                return (await ledger())[0] >= count and sample(restarted.metrics, "duplicate") >= 1

            await poll(all_applied, what="every event applied after the restart", within=30)
            await restarted.stop()
        finally:
            await connection.close()
        assert await ledger() == (count, count, count)
    finally:
        await db.dispose()

    assert sample(restarted.metrics, "processed") == count - crash_at
    # The event committed but never acknowledged came back, and was recognised.
    assert sample(restarted.metrics, "duplicate") == 1
    assert await dead_letters(js) == []


# --- the processes ---------------------------------------------------------------------------


def answers(url: str, status: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        async with httpx.AsyncClient(timeout=2.0) as http:
            return (await http.get(url)).status_code == status

    return check


async def test_consumer_and_sink_processes_exit_cleanly_on_sigterm(
    bus: NatsServer, tmp_path: Path
) -> None:
    """Each runs as `python -m …` and exits 0 on SIGTERM, even a consumer still waiting for
    NATS (it serves 503 meanwhile)."""
    nowhere = f"nats://127.0.0.1:{free_port()}"
    processes: list[tuple[Process, Callable[[], Awaitable[bool]]]] = []
    for label, name, nats_url, status in (
        ("notification", "notification", bus.url, 200),
        ("loyalty", "loyalty", bus.url, 200),
        ("analytics", "analytics", bus.url, 200),
        ("no-nats", "loyalty", nowhere, 503),
    ):
        port, prefix = free_port(), name.upper()
        env = {
            "ORDERS_NATS_URL": nats_url,
            f"{prefix}_PORT": str(port),
            f"{prefix}_DATABASE_URL": db_url(tmp_path, label),
        }
        argv = [sys.executable, "-m", f"workers.{name}"]
        process = Process(label, argv, env, tmp_path / f"{label}.log")
        processes.append((process, answers(f"http://127.0.0.1:{port}/healthz", status)))
    sink_port = free_port()
    sink_env = {"SMTP_SINK_PORT": str(sink_port), "SMTP_SINK_MAILDIR": str(tmp_path / "mail")}
    sink_argv = [sys.executable, "-m", "tools.smtp_sink"]
    sink = Process("smtp-sink", sink_argv, sink_env, tmp_path / "sink.log")
    processes.append((sink, port_open(sink_port)))
    try:
        for process, _ in processes:
            process.start()
        for process, ready in processes:
            await wait_until(ready, what=process.name, process=process)
    finally:
        codes = {process.name: process.stop(timeout=10) for process, _ in processes}
    assert set(codes.values()) == {0}, {p.name: p.tail() for p, _ in processes}


# --- 9. a dead letter replayed once the cause is fixed ----------------------------------------


async def test_a_dead_letter_replayed_after_the_fix_is_applied_once(
    js: JetStreamContext, bus: NatsServer, tmp_path: Path
) -> None:
    mailbox = SmtpSink(tmp_path / "Maildir", port=free_port())  # down: the cause
    settings = NotificationSettings(
        database_url=db_url(tmp_path, "notification"),
        smtp_port=mailbox.port,
        **FAST,
        max_retry_seconds=0.5,  # an outage past the budget: dead-lettered
        breaker_threshold=1000,
    )
    order_id = new_order_id()
    async with running("notification", notification_app(settings, nats_url=bus.url)) as consumer:
        seq = await publish(js, completed_event(order_id))
        await settled(consumer, "events_dead_lettered_total", 1)
        [letter] = await list_dead_letters(js, "notification")
        assert letter.stream_seq == seq

        await mailbox.start()  # the fix
        try:
            await replay_dead_letter(js, letter.seq)
            await settled(consumer, "events_processed_total", 1)
            # Re-fed again from history (say, by mistake): effects are idempotent by event id.
            assert await replay_events(js, "notification", since=seq, until=seq) == 1
            await settled(consumer, "events_duplicate_total", 1)
        finally:
            await mailbox.stop()
        assert len(await consumer.notifications(order_id)) == 1
    assert len(mails(mailbox.maildir, order_id)) == 1
    assert await list_dead_letters(js, "notification") == []
