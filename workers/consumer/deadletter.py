"""Dead letters: the original message, parked in ORDER_EVENTS_DLQ with why it was given up on.

A dead letter is the original payload, byte for byte, published to
`orders.dlq.<consumer>.<order id or "unknown">` with the headers `Orders-Dlq-Reason`,
`Orders-Dlq-Consumer`, `Orders-Dlq-Deliveries`, `Orders-Dlq-Stream-Seq` and
`Orders-Dlq-Subject`. Its `Nats-Msg-Id` is `dlq:<consumer>:<stream seq>`, so a consumer that
crashes between publishing it and acknowledging the original publishes it again harmlessly.
"""

from __future__ import annotations

import json
import logging

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from pydantic import ValidationError

from orders.bus import (
    DLQ_CONSUMER,
    DLQ_DELIVERIES,
    DLQ_REASON,
    DLQ_STREAM,
    DLQ_STREAM_SEQ,
    DLQ_SUBJECT,
    MSG_ID,
    dlq_subject,
)

logger = logging.getLogger(__name__)

UNKNOWN_ORDER = "unknown"
MAX_REASON_LENGTH = 500


async def publish_dead_letter(
    js: JetStreamContext, consumer: str, msg: Msg, order_id: str | None, reason: str
) -> None:
    """Publish `msg` to the DLQ stream (the caller acknowledges the original afterwards)."""
    metadata = msg.metadata
    seq = metadata.sequence.stream
    headers = {
        DLQ_REASON: header_value(reason),
        DLQ_CONSUMER: consumer,
        DLQ_DELIVERIES: str(metadata.num_delivered),
        DLQ_STREAM_SEQ: str(seq),
        DLQ_SUBJECT: msg.subject,
        MSG_ID: f"dlq:{consumer}:{seq}",
    }
    order = order_id or UNKNOWN_ORDER
    await js.publish(dlq_subject(consumer, order), msg.data, stream=DLQ_STREAM, headers=headers)
    logger.error(
        "order %s: %s dead-lettered stream seq %d (delivery %d): %s",
        order,
        consumer,
        seq,
        metadata.num_delivered,
        reason,
    )


def header_value(text: str) -> str:
    """One header line: no CR/LF (they would end the header), bounded length."""
    flat = " ".join(text.split())
    return flat if len(flat) <= MAX_REASON_LENGTH else flat[: MAX_REASON_LENGTH - 1] + "…"


def invalid_event_reason(exc: ValidationError, shown: int = 3) -> str:
    """`invalid event: <where>: <what>; …` from the first few validation errors."""
    errors = exc.errors(include_url=False, include_input=False, include_context=False)
    parts = [
        f"{'.'.join(str(part) for part in error['loc']) or 'payload'}: {error['msg']}"
        for error in errors[:shown]
    ]
    if len(errors) > shown:
        parts.append(f"and {len(errors) - shown} more")
    return "invalid event: " + "; ".join(parts)


def order_id_hint(payload: bytes) -> str | None:
    """The order id of a payload that is not a valid event, if it still says one."""
    try:
        document = json.loads(payload)
    except ValueError:  # not JSON, or not UTF-8
        return None
    if not isinstance(document, dict):
        return None
    data = document.get("data")
    candidates = [data.get("order_id") if isinstance(data, dict) else None, document.get("subject")]
    return next((c for c in candidates if isinstance(c, str) and c), None)


def describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
