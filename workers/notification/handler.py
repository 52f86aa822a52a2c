"""Send the event's email, then record it (see the package docstring for the crash window)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.clock import utcnow
from workers.consumer.handler import Event, Handler
from workers.notification.compose import compose
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
    def __init__(self, sender: SmtpSender, mail_from: str) -> None:
        self.sender = sender
        self.mail_from = mail_from

    async def effect(self, event: Event) -> SentEmail:
        message = compose(event, self.mail_from)
        await self.sender.send(message)
        sent = SentEmail(
            to=str(message["To"]),
            subject=str(message["Subject"]),
            message_id=str(message["Message-ID"]),
            sent_at=utcnow(),
        )
        logger.info("order %s: emailed %s: %s", event.data.order_id, sent.to, sent.subject)
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
