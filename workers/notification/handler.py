"""Send the event's email once: intent, send, mark sent, then record (see `intents`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.clock import utcnow
from servicekit.db import Database
from workers.consumer.handler import Event, Handler
from workers.notification.compose import compose
from workers.notification.intents import SendIntents
from workers.notification.models import Notification
from workers.notification.smtp import SmtpSender

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SentEmail:
    to: str
    subject: str
    message_id: str
    sent_at: datetime


class NotificationHandler(Handler[SentEmail]):
    effect_outside_transaction: ClassVar[bool] = False
    """A repeat of `effect` shows nothing: its intent, marked sent, skips the send. So the event
    is not looked up before it (one read fewer per email); an event already applied is found in
    the record's transaction and acknowledged as a duplicate."""

    def __init__(self, sender: SmtpSender, mail_from: str) -> None:
        self.sender = sender
        self.mail_from = mail_from
        self._intents: SendIntents | None = None

    def use_database(self, db: Database) -> None:
        self._intents = SendIntents(db)

    @property
    def intents(self) -> SendIntents:
        if self._intents is None:
            raise RuntimeError("NotificationHandler.use_database was not called")
        return self._intents

    async def probe(self) -> None:
        await self.sender.probe()

    async def effect(self, event: Event) -> SentEmail:
        order_id = event.data.order_id
        message = compose(event, self.mail_from)
        to, subject, message_id = str(message["To"]), str(message["Subject"]), message["Message-ID"]
        intent = await self.intents.begin(event.id, to, subject, str(message_id))
        if intent.sent_at is not None:
            logger.info("order %s: %s was sent already: recording it only", order_id, event.id)
            return SentEmail(intent.to, intent.subject, intent.message_id, intent.sent_at)
        if intent.attempts > 1:
            logger.warning(
                "order %s: sending %s again (attempt %d): an earlier send may have reached the "
                "mail server; it carries the same Message-ID %s",
                order_id,
                event.id,
                intent.attempts,
                message_id,
            )
        await self.sender.send(message)
        sent = SentEmail(to=to, subject=subject, message_id=str(message_id), sent_at=utcnow())
        await self.intents.mark_sent(event.id, sent.sent_at)
        logger.info("order %s: emailed %s: %s", order_id, sent.to, sent.subject)
        return sent

    async def record(self, session: AsyncSession, event: Event, effect: SentEmail) -> None:
        session.add(
            Notification(
                event_id=event.id,
                order_id=event.data.order_id,
                kind=event.type.kind,
                to_address=effect.to,
                subject=effect.subject,
                message_id=effect.message_id,
                sent_at=effect.sent_at,
            )
        )
