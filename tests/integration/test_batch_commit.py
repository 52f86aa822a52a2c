"""Batch commit (`workers.consumer.batch`) on a real nats-server: a fetched batch is one
transaction, every effect happens once, bad messages fail alone, and a crash keeps all of a batch
or none of it.

The consumer loop runs in process on each database backend; a crash is its task cancelled while
held inside the batch (no stop, no hand-back, no drain), as a SIGKILL would leave it.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from sqlalchemy import MetaData, event, func, select
from sqlalchemy.ext.asyncio import AsyncSession

import orders.bus
from cli.bus.provision import provision
from orders.bus import connect_nats, redeliver_subject
from servicekit.db import Database
from tests.databases import Databases
from tests.integration.consumers import dead_letters, publish, publish_raw, reset_bus
from tests.integration.orders import poll
from tests.nats import NatsServer, running_nats
from tests.sample_events import completed_event, failed_event, new_order_id
from workers.analytics.handler import AnalyticsHandler
from workers.analytics.models import Base as AnalyticsBase
from workers.analytics.models import DailyOutcome, DailySku
from workers.consumer.batch import BatchCommit
from workers.consumer.delivery import Delivery
from workers.consumer.handler import Event, PermanentFailure, TransactionalHandler
from workers.consumer.metrics import ConsumerMetrics
from workers.consumer.processed import ProcessedBase, ProcessedEvent
from workers.consumer.runner import ConsumerRunner
from workers.consumer.settings import RetryPolicy
from workers.loyalty.handler import LoyaltyHandler
from workers.loyalty.models import Base as LoyaltyBase
from workers.loyalty.models import LedgerEntry
from workers.notification.handler import NotificationHandler
from workers.notification.smtp import SmtpSender

POLICY = RetryPolicy(max_attempts=3, base_seconds=0.05, cap_seconds=0.2)


@pytest.fixture(scope="module")
async def bus(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[NatsServer]:
    async with running_nats(tmp_path_factory.mktemp("batch-nats")) as server:
        yield server


@pytest.fixture(scope="module")
async def js(bus: NatsServer) -> AsyncIterator[JetStreamContext]:
    connection = await connect_nats(bus.url, "tests-batch")
    await provision(connection.jetstream())
    try:
        yield connection.jetstream()
    finally:
        await connection.close()


@pytest.fixture(autouse=True)
async def _empty_bus(js: JetStreamContext) -> None:
    await reset_bus(js)


@pytest.fixture
async def loyalty_db(databases: Databases) -> AsyncIterator[Database]:
    db = Database(await databases.url("loyalty"))
    await db.create_all([LoyaltyBase.metadata, ProcessedBase.metadata])
    try:
        yield db
    finally:
        await db.dispose()


class Consumer:
    """One consumer loop with batch commit, as `workers.consumer.supervisor` builds it."""

    def __init__(self, connection: NATS, runner: ConsumerRunner) -> None:
        self.connection = connection
        self.runner = runner
        self.metrics = runner.metrics

    def count(self, counter: str) -> float:
        name = f"orders_consumer_events_{counter}_total"
        registry = self.metrics.registry
        return registry.get_sample_value(name, {"consumer": self.metrics.consumer}) or 0.0

    async def crash(self) -> None:
        """Die where it is: no stop, no hand-back of the batch, no drain."""
        assert self.runner.task is not None
        self.runner.task.cancel()
        await asyncio.gather(self.runner.task, return_exceptions=True)
        await self.connection.close()

    async def stop(self) -> None:
        await self.runner.stop()
        await self.connection.close()


async def start(
    bus: NatsServer,
    name: str,
    db: Database,
    handler: TransactionalHandler,
    *,
    batch_size: int = 10,
    delivery_class: type[Delivery] = Delivery,
    **kwargs: Any,
) -> Consumer:
    connection = await connect_nats(bus.url, f"tests-{name}")
    metrics = ConsumerMetrics(name)
    delivery = delivery_class(name, connection.jetstream(), db, handler, POLICY, metrics, **kwargs)
    runner = ConsumerRunner(
        name,
        connection,
        delivery,
        metrics,
        batch_size=batch_size,
        fetch_timeout=0.2,
        batch=BatchCommit(delivery),
    )
    runner.start()
    return Consumer(connection, runner)


def count_commits(db: Database) -> list[int]:
    """A list that grows by one at each commit on `db`'s engine."""
    commits: list[int] = []
    event.listen(db.engine.sync_engine, "commit", lambda conn: commits.append(1))
    return commits


async def ledger(db: Database) -> tuple[int, int, int]:
    """Ledger rows, distinct events in the ledger, processed ids."""
    async with db.readers() as session:
        rows = await session.scalar(select(func.count()).select_from(LedgerEntry))
        events = await session.scalar(select(func.count(func.distinct(LedgerEntry.event_id))))
        processed = await session.scalar(select(func.count()).select_from(ProcessedEvent))
    return rows or 0, events or 0, processed or 0


@pytest.mark.parametrize("name", ["loyalty", "analytics"])
async def test_a_fetched_batch_commits_in_one_transaction(
    name: str, bus: NatsServer, js: JetStreamContext, databases: Databases
) -> None:
    count = 10
    for _ in range(count - 1):
        await publish(js, completed_event(new_order_id("one-tx")))
    await publish(js, failed_event(new_order_id("one-tx")))
    tables: MetaData = LoyaltyBase.metadata if name == "loyalty" else AnalyticsBase.metadata
    handler = LoyaltyHandler() if name == "loyalty" else AnalyticsHandler()
    db = Database(await databases.url(name))
    await db.create_all([tables, ProcessedBase.metadata])
    commits = count_commits(db)
    consumer = await start(bus, name, db, handler, batch_size=count)
    try:
        await poll(lambda: consumer.count("processed") >= count, what="the batch applied")
        await consumer.stop()
        async with db.readers() as session:
            processed = await session.scalar(select(func.count()).select_from(ProcessedEvent))
            if name == "analytics":
                # The batch's figures summed per row: the same rows one at a time would write.
                rows = await session.execute(select(DailyOutcome.outcome, DailyOutcome.orders))
                outcomes = {outcome: orders for outcome, orders in rows.all()}
                lines = await session.execute(
                    select(DailySku.sku, DailySku.units, DailySku.revenue)
                )
                skus = {sku: (units, revenue) for sku, units, revenue in lines.all()}
                assert outcomes == {"completed": count - 1, "failed": 1}
                assert skus == {"WIDGET-1": (18, 45000), "GADGET-2": (9, 23391)}
    finally:
        await db.dispose()
    assert processed == count
    assert commits == [1], "the ten events of one fetch, and their ids, in one commit"


class PoisonFor(TransactionalHandler):
    """Loyalty's handler, refusing for good the orders whose id starts with `poison`."""

    def __init__(self) -> None:
        self.inner = LoyaltyHandler()

    async def apply(self, session: AsyncSession, event: Event) -> None:
        if event.data.order_id.startswith("poison"):
            raise PermanentFailure("this order can never be credited")
        await self.inner.apply(session, event)


async def test_with_batch_commit_every_effect_happens_once_and_bad_messages_fail_alone(
    bus: NatsServer, js: JetStreamContext, loyalty_db: Database
) -> None:
    first = [completed_event(new_order_id("first")) for _ in range(4)]
    second = [completed_event(new_order_id("second")) for _ in range(3)]
    poison = completed_event(new_order_id("poison"))
    # First fetch (6): four events, a second delivery of one of them, and garbage.
    for each in first:
        await publish(js, each)
    await publish(js, first[0], msg_id=uuid.uuid4().hex, subject=redeliver_subject("loyalty", "x"))
    await publish_raw(js, "orders.events.completed.junk", b"{not an event")
    # Second fetch (6): an event the handler refuses, three more, one of the first again, and a
    # failed order (no points, but recorded as processed).
    await publish(js, poison)
    for each in second:
        await publish(js, each)
    await publish(js, first[1], msg_id=uuid.uuid4().hex, subject=redeliver_subject("loyalty", "y"))
    await publish(js, failed_event(new_order_id("failed")))

    consumer = await start(bus, "loyalty", loyalty_db, PoisonFor(), batch_size=6)
    await poll(
        lambda: consumer.count("processed") >= 8 and consumer.count("dead_lettered") >= 2,
        what="every good event applied and both bad ones dead-lettered",
    )
    await consumer.stop()
    # Seven credited once each; the failed order recorded, without points.
    assert await ledger(loyalty_db) == (7, 7, 8)
    assert consumer.count("processed") == 8
    assert consumer.count("duplicate") == 2
    assert consumer.count("dead_lettered") == 2
    letters = await dead_letters(js, "loyalty")
    reasons = sorted((letter.headers or {})[orders.bus.DLQ_REASON] for letter in letters)
    assert len(reasons) == 2
    assert any(reason.startswith("permanent failure") for reason in reasons), reasons
    async with loyalty_db.readers() as session:
        credited = set(await session.scalars(select(LedgerEntry.order_id)))
    assert credited == {each.data.order_id for each in first + second}


class HeldApply(TransactionalHandler):
    """Loyalty's handler, holding forever (until cancelled) inside its `nth` application."""

    def __init__(self, nth: int) -> None:
        self.inner = LoyaltyHandler()
        self.nth = nth
        self.applied = 0
        self.held = asyncio.Event()

    async def apply(self, session: AsyncSession, event: Event) -> None:
        self.applied += 1
        if self.applied == self.nth:
            self.held.set()
            await asyncio.Event().wait()
        await self.inner.apply(session, event)


class HeldAck(Delivery):
    """Holds forever (until cancelled) before its `nth` acknowledgement: the batch committed."""

    def __init__(self, *args: Any, nth: int) -> None:
        super().__init__(*args)
        self.nth = nth
        self.acks = 0
        self.held = asyncio.Event()

    async def acknowledge(self, msg: Msg) -> None:
        self.acks += 1
        if self.acks == self.nth:
            self.held.set()
            await asyncio.Event().wait()
        await super().acknowledge(msg)


@pytest.mark.parametrize("moment", ["before the commit", "after the commit"])
async def test_a_consumer_killed_mid_batch_keeps_all_of_the_batch_or_none(
    moment: str,
    bus: NatsServer,
    js: JetStreamContext,
    loyalty_db: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # What the killed consumer had fetched comes back after the ack wait: 2 s, not 30, here.
    monkeypatch.setattr(orders.bus, "ACK_WAIT", timedelta(seconds=2))
    await provision(js)  # the runner only reads its consumer: provision the short ack wait
    count, batch = 30, 10
    for _ in range(count):
        await publish(js, completed_event(new_order_id("kill"), customer_id="cust-kill"))

    # Held in the fifth event of the second batch, or after that batch committed.
    if moment == "before the commit":
        handler = HeldApply(nth=batch + 5)
        crashing = await start(bus, "loyalty", loyalty_db, handler, batch_size=batch)
        held = handler.held
        kept = batch
    else:
        crashing = await start(
            bus, "loyalty", loyalty_db, LoyaltyHandler(), batch_size=batch,
            delivery_class=HeldAck, nth=batch + 1,
        )  # fmt: skip
        assert isinstance(crashing.runner.delivery, HeldAck)
        held = crashing.runner.delivery.held
        kept = 2 * batch
    await asyncio.wait_for(held.wait(), 20)
    await crashing.crash()
    assert await ledger(loyalty_db) == (kept, kept, kept)

    restarted = await start(bus, "loyalty", loyalty_db, LoyaltyHandler(), batch_size=batch)
    await poll(
        lambda: restarted.count("processed") + restarted.count("duplicate") >= count - batch,
        what="every event settled after the restart",
    )
    await restarted.stop()
    assert await ledger(loyalty_db) == (count, count, count)
    assert restarted.count("processed") == count - kept
    # The batch committed but never acknowledged came back whole, and was recognised.
    assert restarted.count("duplicate") == kept - batch
    assert await dead_letters(js) == []


async def test_batch_commit_refuses_a_handler_with_an_effect_outside_the_database(
    js: JetStreamContext, loyalty_db: Database
) -> None:
    handler = NotificationHandler(SmtpSender("127.0.0.1", 1, 1.0), "orders@example.com")
    delivery = Delivery("notification", js, loyalty_db, handler, POLICY, ConsumerMetrics("n"))
    with pytest.raises(ValueError, match="whole effect is in the"):
        BatchCommit(delivery)
