"""When a consumer looks an event up before applying it, and when only inside the transaction.

A handler with an effect outside the transaction (an email) has the event looked up first, so a
redelivery does not repeat the effect. A transactional handler (a ledger) finds a redelivered
event applied inside its own transaction, so the extra read, about a third of its CPU per event,
is skipped; only a message on the server's last delivery is looked up first, so that one
already applied is acknowledged rather than dead-lettered.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from nats.aio.msg import Msg
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.db import Database
from tests.sample_events import completed_event, new_order_id
from workers.consumer.delivery import Delivery, Outcome
from workers.consumer.handler import Event, Handler
from workers.consumer.metrics import ConsumerMetrics
from workers.consumer.processed import ProcessedBase
from workers.consumer.settings import RetryPolicy
from workers.loyalty.handler import LoyaltyHandler
from workers.loyalty.models import Base as LoyaltyBase
from workers.loyalty.models import LedgerEntry

POLICY = RetryPolicy(max_attempts=3)


class FakeMsg:
    """What `Delivery` reads of a JetStream message, and whether it was acknowledged."""

    def __init__(self, data: bytes, delivered: int = 1) -> None:
        self.data = data
        self.headers: dict[str, str] = {}
        self.subject = "orders.order.completed.v1"
        self.metadata = SimpleNamespace(num_delivered=delivered, sequence=SimpleNamespace(stream=1))
        self.acked = 0

    async def ack(self) -> None:
        self.acked += 1


class CountingDatabase(Database):
    """Counts the read-only sessions opened: the look-ups before a transaction."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.reads = 0
        readers = self.readers

        def counted() -> AsyncSession:
            self.reads += 1
            return readers()

        self.readers = counted  # type: ignore[assignment]


class Emailer(Handler[None]):
    """An effect outside the transaction, counted."""

    def __init__(self) -> None:
        self.sent = 0

    async def effect(self, event: Event) -> None:
        self.sent += 1

    async def record(self, session: AsyncSession, event: Event, effect: None) -> None:
        pass


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[CountingDatabase]:
    database = CountingDatabase(f"sqlite+aiosqlite:///{tmp_path / 'consumer.db'}")
    await database.create_all([LoyaltyBase.metadata, ProcessedBase.metadata])
    yield database
    await database.dispose()


def delivery(db: Database, handler: Handler[Any]) -> Delivery:
    # No JetStream: a dead letter would fail the test, which expects none.
    return Delivery("test", None, db, handler, POLICY, ConsumerMetrics("test"))  # type: ignore[arg-type]


async def settle(consumer: Delivery, msg: FakeMsg) -> Outcome:
    return await consumer.process(cast(Msg, msg))


def event_bytes() -> bytes:
    return completed_event(new_order_id()).model_dump_json().encode()


async def ledger_entries(db: Database) -> int:
    async with db.readers() as session:
        return await session.scalar(select(func.count()).select_from(LedgerEntry)) or 0


async def test_a_transactional_event_is_looked_up_only_inside_its_transaction(
    db: CountingDatabase,
) -> None:
    consumer = delivery(db, LoyaltyHandler())
    data = event_bytes()

    first = FakeMsg(data)
    again = FakeMsg(data, delivered=2)
    outcomes = [await settle(consumer, first), await settle(consumer, again)]

    assert outcomes == [Outcome.APPLIED, Outcome.DUPLICATE]
    assert db.reads == 0
    assert (first.acked, again.acked) == (1, 1)
    assert await ledger_entries(db) == 1


async def test_an_applied_event_on_its_last_delivery_is_acknowledged_not_dead_lettered(
    db: CountingDatabase,
) -> None:
    consumer = delivery(db, LoyaltyHandler())
    data = event_bytes()
    assert await settle(consumer, FakeMsg(data)) is Outcome.APPLIED

    late = FakeMsg(data, delivered=POLICY.max_deliveries)

    assert await settle(consumer, late) is Outcome.DUPLICATE
    assert late.acked == 1
    assert db.reads == 1
    assert await ledger_entries(db) == 1


async def test_an_effect_outside_the_transaction_is_looked_up_first_and_not_repeated(
    db: CountingDatabase,
) -> None:
    emailer = Emailer()
    consumer = delivery(db, emailer)
    data = event_bytes()

    outcomes = [await settle(consumer, FakeMsg(data)), await settle(consumer, FakeMsg(data, 2))]

    assert outcomes == [Outcome.APPLIED, Outcome.DUPLICATE]
    assert emailer.sent == 1
    assert db.reads == 2
