"""An email as close to once as SMTP allows: the intent is committed before the send, a record
that fails after the send is retried without sending again, and the Message-ID is the event's."""

from __future__ import annotations

from collections.abc import AsyncIterator
from email.message import EmailMessage
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.clock import utcnow
from servicekit.db import Database
from tests.sample_events import completed_event, new_order_id
from workers.consumer.delivery import Delivery, Outcome
from workers.consumer.handler import Event
from workers.consumer.metrics import ConsumerMetrics
from workers.consumer.processed import ProcessedBase
from workers.consumer.settings import RetryPolicy
from workers.notification.compose import message_id
from workers.notification.handler import NotificationHandler, SentEmail
from workers.notification.models import Base, Notification, SendIntent
from workers.notification.smtp import SmtpSender


class Msgs:
    """Deliveries of one event, numbered as JetStream numbers them."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.delivered = 0

    def next(self) -> Msg:
        self.delivered += 1

        async def settled(*args: object, **kwargs: object) -> None:
            pass

        return cast(
            Msg,
            SimpleNamespace(
                data=self.data,
                headers={},
                subject="orders.events.completed.x",
                metadata=SimpleNamespace(
                    num_delivered=self.delivered,
                    sequence=SimpleNamespace(stream=1),
                    timestamp=utcnow(),
                ),
                ack=settled,
                nak=settled,
            ),
        )


class Sender(SmtpSender):
    """Accepts every message; notes what the intents table said while each was being sent."""

    def __init__(self, db: Database) -> None:
        super().__init__("127.0.0.1", 1, 1.0)
        self.db = db
        self.sent: list[EmailMessage] = []
        self.intents_during_send: list[tuple[int, bool]] = []

    async def send(self, message: EmailMessage) -> None:
        async with self.db.readers() as session:
            row = await session.get(SendIntent, str(message["X-Event-Id"]))
        assert row is not None, "no intent committed before the send"
        self.intents_during_send.append((row.attempts, row.sent_at is not None))
        self.sent.append(message)


class RecordFailsOnce(NotificationHandler):
    def __init__(self, sender: SmtpSender) -> None:
        super().__init__(sender, "orders@hybrid-orders.example")
        self.record_failures = 1

    async def record(self, session: AsyncSession, event: Event, effect: SentEmail) -> None:
        if self.record_failures:
            self.record_failures -= 1
            raise ValueError("the record failed (a bug, say)")
        await super().record(session, event, effect)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'notification.db'}")
    await database.create_all([Base.metadata, ProcessedBase.metadata])
    yield database
    await database.dispose()


def delivery(db: Database, handler: NotificationHandler) -> Delivery:
    policy = RetryPolicy(max_attempts=5)
    js = cast(JetStreamContext, None)  # a dead letter would fail the test: none is expected
    return Delivery("notification", js, db, handler, policy, ConsumerMetrics("notification"))


async def count(db: Database, model: type[Notification] | type[SendIntent]) -> int:
    async with db.readers() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def test_a_record_failing_after_the_send_is_retried_without_sending_again(
    db: Database,
) -> None:
    sender = Sender(db)
    consumer = delivery(db, RecordFailsOnce(sender))
    event = completed_event(new_order_id())
    msgs = Msgs(event.model_dump_json().encode())

    first = await consumer.process(msgs.next())
    again = await consumer.process(msgs.next())

    assert (first, again) == (Outcome.RETRYING, Outcome.APPLIED)
    assert len(sender.sent) == 1
    assert sender.intents_during_send == [(1, False)]
    assert await count(db, Notification) == 1
    async with db.readers() as session:
        intent = await session.get(SendIntent, event.id)
    assert intent is not None and intent.sent_at is not None and intent.attempts == 1


async def test_the_message_id_is_derived_from_the_event_and_the_same_on_a_resend(
    db: Database,
) -> None:
    sender = Sender(db)
    handler = NotificationHandler(sender, "orders@hybrid-orders.example")
    handler.use_database(db)
    event = completed_event(new_order_id())
    await handler.effect(event)
    # The mark was lost (the process died after the server accepted the email): the intent is
    # there, not sent, so the redelivery sends again, with the same Message-ID.
    async with db.sessions() as session, session.begin():
        row = await session.get(SendIntent, event.id)
        assert row is not None
        row.sent_at = None
    await handler.effect(event)

    assert [m["Message-ID"] for m in sender.sent] == [message_id(event.id)] * 2
    assert sender.intents_during_send == [(1, False), (2, False)]
    assert message_id(event.id) != message_id(completed_event(new_order_id()).id)
