"""What a failure costs an event: a dependency failure waits (for hours, by the event's age), a
message failure spends its few attempts, and both end in the DLQ once spent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from sqlalchemy.ext.asyncio import AsyncSession

from orders.bus import DLQ_REASON
from servicekit.clock import utcnow
from servicekit.db import Database
from tests.sample_events import completed_event, new_order_id
from tools.stack.processes import free_port
from workers.consumer.delivery import Delivery, Outcome
from workers.consumer.failures import Failure, classify
from workers.consumer.handler import Event, Handler
from workers.consumer.metrics import ConsumerMetrics
from workers.consumer.processed import ProcessedBase
from workers.consumer.settings import RetryPolicy
from workers.loyalty.handler import LoyaltyHandler

POLICY = RetryPolicy(max_attempts=3, base_seconds=1, cap_seconds=60, max_retry_seconds=3600)


class FakeMsg:
    def __init__(self, data: bytes, delivered: int, age: timedelta = timedelta(0)) -> None:
        self.data = data
        self.headers: dict[str, str] = {}
        self.subject = "orders.events.completed.x"
        self.metadata = SimpleNamespace(
            num_delivered=delivered,
            sequence=SimpleNamespace(stream=7),
            timestamp=utcnow() - age,
        )
        self.settled: list[tuple[str, float | None]] = []

    async def ack(self) -> None:
        self.settled.append(("ack", None))

    async def nak(self, delay: float | None = None) -> None:
        self.settled.append(("nak", delay))


class FakeJetStream:
    def __init__(self) -> None:
        self.published: list[dict[str, str]] = []

    async def publish(self, subject: str, payload: bytes, **kwargs: Any) -> None:
        self.published.append(kwargs["headers"])


class Failing(Handler[None]):
    def __init__(self, error: Exception) -> None:
        self.error = error

    async def effect(self, event: Event) -> None:
        raise self.error

    async def record(self, session: AsyncSession, event: Event, effect: None) -> None:
        pass


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'consumer.db'}")
    await database.create_all([ProcessedBase.metadata])
    yield database
    await database.dispose()


async def settle(
    db: Database, error: Exception, delivered: int, age: timedelta = timedelta(0)
) -> tuple[Outcome, FakeMsg, FakeJetStream]:
    js = FakeJetStream()
    delivery = Delivery(
        "test", cast(JetStreamContext, js), db, Failing(error), POLICY, ConsumerMetrics("test")
    )
    msg = FakeMsg(completed_event(new_order_id()).model_dump_json().encode(), delivered, age)
    return await delivery.process(cast(Msg, msg)), msg, js


async def test_a_dependency_failure_past_max_attempts_is_retried_not_dead_lettered(
    db: Database,
) -> None:
    outcome, msg, js = await settle(db, ConnectionRefusedError("smtp"), delivered=40)
    assert outcome is Outcome.DEPENDENCY_DOWN
    assert msg.settled == [("nak", 60.0)]  # capped backoff
    assert js.published == []


async def test_a_dependency_failure_past_the_time_budget_is_dead_lettered(db: Database) -> None:
    young, _, _ = await settle(
        db, ConnectionRefusedError("smtp"), delivered=POLICY.max_attempts, age=timedelta(0)
    )
    assert young is Outcome.DEPENDENCY_DOWN
    # Old, but tried fewer than max_attempts times (it waited out a backlog): tried again.
    backlog, _, _ = await settle(
        db, ConnectionRefusedError("smtp"), delivered=1, age=timedelta(hours=2)
    )
    assert backlog is Outcome.DEPENDENCY_DOWN
    outcome, msg, js = await settle(
        db, ConnectionRefusedError("smtp"), delivered=POLICY.max_attempts, age=timedelta(hours=2)
    )
    assert outcome is Outcome.DEAD_LETTERED
    assert msg.settled == [("ack", None)]
    [headers] = js.published
    assert "past the retry budget of 3600s" in headers[DLQ_REASON]


async def test_a_message_failure_is_dead_lettered_after_max_attempts(db: Database) -> None:
    retried, first, _ = await settle(db, KeyError("sku"), delivered=1)
    assert retried is Outcome.RETRYING and first.settled == [("nak", 1.0)]
    outcome, _, js = await settle(db, KeyError("sku"), delivered=POLICY.max_attempts)
    assert outcome is Outcome.DEAD_LETTERED
    [headers] = js.published
    assert headers[DLQ_REASON].startswith("failed 3 times; last error: KeyError")


async def test_the_servers_last_delivery_is_dead_lettered_whatever_failed(db: Database) -> None:
    outcome, _, js = await settle(
        db, ConnectionRefusedError("smtp"), delivered=POLICY.max_deliveries
    )
    assert outcome is Outcome.DEAD_LETTERED
    assert "the server's limit" in js.published[0][DLQ_REASON]


async def test_a_database_down_is_a_dependency_failure_and_fails_the_probe() -> None:
    down = Database(f"postgresql://orders:orders@127.0.0.1:{free_port()}/orders")  # no server
    try:
        js = FakeJetStream()
        metrics = ConsumerMetrics("loyalty")
        delivery = Delivery(
            "loyalty", cast(JetStreamContext, js), down, LoyaltyHandler(), POLICY, metrics
        )
        msg = FakeMsg(completed_event(new_order_id()).model_dump_json().encode(), delivered=50)
        assert await delivery.process(cast(Msg, msg)) is Outcome.DEPENDENCY_DOWN
        assert msg.settled == [("nak", 60.0)] and js.published == []
        with pytest.raises(Exception) as probe:
            await delivery.probe()
        assert classify(probe.value) is Failure.DEPENDENCY
    finally:
        await down.dispose()
