"""Send intents: what makes an email as close to once as SMTP allows.

```
redelivered? ── intent sent ─────────────────────────▶ skip the send, record only
     │
     └─ no intent, or one not sent ─▶ commit intent (attempts + 1) ─▶ SMTP send ─▶ mark sent
                                                                     ─▶ record + processed id
```

The intent is committed before the send and marked sent right after the mail server accepted
it, in a transaction of its own, so a failure of the record that follows (the `notifications`
row and the processed id) is retried without sending again. What remains: a consumer that dies,
or loses its database, between the server's acceptance and the mark sends the email again when
the event is redelivered, with the same `Message-ID`; an intent with more than one attempt is
logged as that possible repeat.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update

from servicekit.clock import utcnow
from servicekit.db import Database
from workers.notification.models import SendIntent

logger = logging.getLogger(__name__)

MARK_ATTEMPTS = 5
MARK_PAUSE_SECONDS = 0.2


@dataclass(frozen=True)
class Intent:
    to: str
    subject: str
    message_id: str
    attempts: int
    """Sends started for this event, this one included."""
    sent_at: datetime | None


class SendIntents:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def begin(self, event_id: str, to: str, subject: str, message_id: str) -> Intent:
        """The intent of event `event_id`: the one already sent, or a new attempt committed."""
        async with self.db.sessions() as session, session.begin():
            row = await session.get(SendIntent, event_id, with_for_update=True)
            if row is None:
                row = SendIntent(
                    event_id=event_id,
                    message_id=message_id,
                    to_address=to,
                    subject=subject,
                    created_at=utcnow(),
                    attempts=0,
                )
                session.add(row)
            if row.sent_at is None:
                row.attempts += 1
            return Intent(row.to_address, row.subject, row.message_id, row.attempts, row.sent_at)

    async def mark_sent(self, event_id: str, sent_at: datetime) -> None:
        """Record that the mail server accepted it, retried briefly: a mark lost here is an
        email sent again on redelivery."""
        for attempt in range(1, MARK_ATTEMPTS + 1):
            try:
                async with self.db.sessions() as session, session.begin():
                    await session.execute(
                        update(SendIntent)
                        .where(SendIntent.event_id == event_id)
                        .values(sent_at=sent_at)
                    )
                return
            except Exception as exc:
                if attempt == MARK_ATTEMPTS:
                    raise
                logger.warning("could not mark %s sent (%s): trying again", event_id, exc)
                await asyncio.sleep(MARK_PAUSE_SECONDS * attempt)
