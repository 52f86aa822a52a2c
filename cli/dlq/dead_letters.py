"""Dead letters: what a consumer could not apply, read, re-fed to that consumer, or purged.

Read by sequence (`STREAM.MSG.GET`), so listing leaves no state behind. A dead letter is re-fed
first and deleted after: a crash in between re-feeds twice (harmless), never loses.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from nats.js import JetStreamContext
from nats.js.api import RawStreamMsg
from nats.js.errors import APIError, NotFoundError
from pydantic import ValidationError

from cli.bus.refeed import check_consumer, refeed
from cli.errors import CliError
from orders.bus import (
    CONSUMERS,
    DLQ_CONSUMER,
    DLQ_DELIVERIES,
    DLQ_REASON,
    DLQ_STREAM,
    DLQ_STREAM_SEQ,
    DLQ_SUBJECT,
    redeliver_subject,
)
from orders.events import parse_event

log = logging.getLogger("orders.dead_letters")


class UnknownDeadLetter(CliError):
    def __init__(self, seq: int) -> None:
        super().__init__(f"no dead letter {seq} in {DLQ_STREAM}")


@dataclass(frozen=True)
class DeadLetter:
    """One message of the DLQ stream, with what its headers and payload say."""

    seq: int
    time: datetime
    consumer: str
    reason: str
    deliveries: int | None
    stream_seq: int | None
    """Its sequence in ORDER_EVENTS."""
    subject: str | None
    """Its subject in ORDER_EVENTS."""
    event_id: str | None
    event_type: str | None
    order_id: str | None
    size: int
    order_token: str
    """The last token of its DLQ subject: the order, when the payload does not parse."""

    @property
    def redeliver_subject(self) -> str:
        return redeliver_subject(self.consumer, self.order_id or self.order_token)

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "time": self.time.isoformat()}


def _dlq_filter(consumer: str | None) -> str:
    return "orders.dlq.>" if consumer is None else f"orders.dlq.{check_consumer(consumer)}.>"


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def _dead_letter(msg: RawStreamMsg) -> DeadLetter:
    headers = msg.headers or {}
    tokens = (msg.subject or "").split(".")  # orders.dlq.<consumer>.<order>
    payload = msg.data or b""
    try:
        event = parse_event(payload)
    except ValidationError:
        event = None
    return DeadLetter(
        seq=msg.seq or 0,
        time=msg.time or datetime.fromtimestamp(0, UTC),
        consumer=headers.get(DLQ_CONSUMER) or (tokens[2] if len(tokens) > 3 else ""),
        reason=headers.get(DLQ_REASON, ""),
        deliveries=_int(headers.get(DLQ_DELIVERIES)),
        stream_seq=_int(headers.get(DLQ_STREAM_SEQ)),
        subject=headers.get(DLQ_SUBJECT),
        event_id=event.id if event else None,
        event_type=event.type.value if event else None,
        order_id=event.subject if event else None,
        size=len(payload),
        order_token=tokens[-1],
    )


async def _scan(
    js: JetStreamContext, subject: str, limit: int | None = None
) -> AsyncIterator[RawStreamMsg]:
    """The DLQ's messages on `subject`, oldest first, up to its last one as of now."""
    state = (await js.stream_info(DLQ_STREAM)).state
    seq, found = max(state.first_seq, 1), 0
    while seq <= state.last_seq and (limit is None or found < limit):
        try:  # the next message on `subject` at or after `seq`: skips deleted ones
            msg = await js.get_msg(DLQ_STREAM, seq=seq, subject=subject, next=True)
        except NotFoundError:
            return
        if msg.seq is None or msg.seq > state.last_seq:
            return
        yield msg
        found, seq = found + 1, msg.seq + 1


async def list_dead_letters(
    js: JetStreamContext, consumer: str | None = None, limit: int | None = None
) -> list[DeadLetter]:
    return [_dead_letter(msg) async for msg in _scan(js, _dlq_filter(consumer), limit)]


async def _count(js: JetStreamContext, consumer: str | None) -> tuple[int, int]:
    """How many dead letters (of `consumer`) there are, and the DLQ's last sequence."""
    if consumer is None:
        state = (await js.stream_info(DLQ_STREAM)).state
        return state.messages, state.last_seq
    state = (await js.stream_info(DLQ_STREAM, subjects_filter=_dlq_filter(consumer))).state
    return sum((state.subjects or {}).values()), state.last_seq


async def count_dead_letters(js: JetStreamContext, consumer: str | None = None) -> int:
    return (await _count(js, consumer))[0]


async def _replay(js: JetStreamContext, msg: RawStreamMsg) -> DeadLetter:
    letter = _dead_letter(msg)
    if letter.consumer not in CONSUMERS:
        raise CliError(f"dead letter {letter.seq} names no known consumer: {letter.consumer!r}")
    await refeed(
        js, letter.consumer, letter.order_id or letter.order_token, msg, f"dlq{letter.seq}"
    )
    try:
        await js.delete_msg(DLQ_STREAM, letter.seq)
    except APIError:
        # Deleted meanwhile (another replay, a purge): re-fed twice at worst, which is harmless.
        log.info("dead letter %s was already gone", letter.seq)
    return letter


async def replay_dead_letter(js: JetStreamContext, seq: int) -> str:
    """Re-feed dead letter `seq` to its consumer, then delete it: the subject it went to."""
    if seq < 1:
        raise UnknownDeadLetter(seq)
    try:
        msg = await js.get_msg(DLQ_STREAM, seq=seq)
    except NotFoundError:
        raise UnknownDeadLetter(seq) from None
    return (await _replay(js, msg)).redeliver_subject


async def replay_all(js: JetStreamContext, consumer: str | None = None) -> list[DeadLetter]:
    """Re-feed every dead letter (of `consumer`) to its consumer, deleting each once re-fed."""
    return [await _replay(js, msg) async for msg in _scan(js, _dlq_filter(consumer))]


async def purge_dead_letters(js: JetStreamContext, consumer: str | None = None) -> int:
    """Delete every dead letter (of `consumer`) there is now; how many there were."""
    count, last_seq = await _count(js, consumer)
    if count:
        # Bounded by sequence, so a letter dead-lettered after the count is kept.
        await js.purge_stream(DLQ_STREAM, seq=last_seq + 1, subject=_dlq_filter(consumer))
    return count
