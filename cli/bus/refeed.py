"""Re-feeding one consumer: a publish on `orders.redeliver.<consumer>.<order>`.

Only that consumer filters on the subject, and the copy gets a fresh `Nats-Msg-Id` so that
stream deduplication never swallows it. Consumers are idempotent by event id, so a re-feed is
always safe. Dead letters are in `cli.dlq.dead_letters`, re-feeding history in
`cli.events.replay`.
"""

from __future__ import annotations

import logging
import uuid

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import RawStreamMsg

from cli.errors import CliError
from orders.bus import CONSUMERS, MSG_ID, STREAM, redeliver_subject

log = logging.getLogger(__name__)

_NOT_COPIED = ("Nats-", "Orders-Dlq-")
"""Header prefixes that describe where a message sat, not the event: never re-fed."""


class UnknownConsumer(CliError):
    def __init__(self, name: str) -> None:
        super().__init__(f"unknown consumer {name!r}: one of {', '.join(CONSUMERS)}")


def check_consumer(name: str) -> str:
    if name not in CONSUMERS:
        raise UnknownConsumer(name)
    return name


async def refeed(
    js: JetStreamContext, consumer: str, order: str, msg: RawStreamMsg | Msg, source: str
) -> str:
    subject = redeliver_subject(consumer, order)
    headers = {
        key: value for key, value in (msg.headers or {}).items() if not key.startswith(_NOT_COPIED)
    }
    headers[MSG_ID] = f"redeliver:{consumer}:{source}:{uuid.uuid4().hex}"
    await js.publish(subject, msg.data or b"", stream=STREAM, headers=headers)
    log.info("order %s: re-fed %s to %s", order, source, consumer)
    return subject
