"""Operating the event bus: read, re-feed and purge dead letters; replay events to one consumer.

Nothing here leaves durable state behind: dead letters are read by sequence (`STREAM.MSG.GET`),
events through an ephemeral pull consumer that is deleted at the end (and dropped by the server
if we crash). Re-feeding one consumer is a publish on `orders.redeliver.<consumer>.<order>`,
which only that consumer filters on, with a fresh `Nats-Msg-Id` so that stream deduplication
never swallows it. Consumers are idempotent by event id, so a re-feed is always safe; that is
why a dead letter is re-fed first and deleted after: a crash in between duplicates, never loses.

Errors are the CLI's, so a command ends in one line:

    CliError
    ├── Unreachable         NATS does not answer             (exit 2)
    ├── UnknownConsumer     not one of orders.bus.CONSUMERS  (exit 1)
    └── UnknownDeadLetter   no such sequence in the DLQ      (exit 1)
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import nats
import nats.errors
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, RawStreamMsg
from nats.js.errors import APIError, NotFoundError
from pydantic import ValidationError

from cli.api_client import CliError, Unreachable
from orders.bus import (
    CONSUMERS,
    DLQ_CONSUMER,
    DLQ_DELIVERIES,
    DLQ_REASON,
    DLQ_STREAM,
    DLQ_STREAM_SEQ,
    DLQ_SUBJECT,
    EVENTS_SUBJECTS,
    MSG_ID,
    STREAM,
    provision_streams,
    redeliver_subject,
)
from orders.events import parse_event

log = logging.getLogger("orders.bus_admin")

CONNECT_TIMEOUT_SECONDS = 3.0
FETCH_BATCH = 256
FETCH_TIMEOUT_SECONDS = 2.0
REPLAY_CONSUMER_IDLE_SECONDS = 60.0
"""The server drops the replay's ephemeral consumer once idle this long: after a crash, say."""
_NOT_COPIED = ("Nats-", "Orders-Dlq-")
"""Header prefixes that describe where a message sat, not the event: never re-fed."""


class UnknownConsumer(CliError):
    def __init__(self, name: str) -> None:
        super().__init__(f"unknown consumer {name!r}: one of {', '.join(CONSUMERS)}")


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


@contextlib.asynccontextmanager
async def jetstream(url: str) -> AsyncIterator[JetStreamContext]:
    """JetStream for one command, streams provisioned; NATS faults become `CliError`s.

    Not `orders.bus.connect_nats`: that one is for workers, and keeps retrying (and logging) for
    as long as NATS is down, where a command should say so at once.
    """
    try:
        nc = await nats.connect(
            url,
            name="orders-cli",
            allow_reconnect=False,
            max_reconnect_attempts=1,
            reconnect_time_wait=0.1,
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            error_cb=_quiet,
        )
    except (OSError, nats.errors.Error) as exc:
        raise Unreachable(f"cannot reach NATS at {url}: is `make dev` running?") from exc
    try:
        js = nc.jetstream()
        await provision_streams(js)
        yield js
    except nats.errors.NoRespondersError as exc:
        raise CliError(f"NATS at {url} has no JetStream: start it with --jetstream") from exc
    except (nats.errors.TimeoutError, nats.errors.ConnectionClosedError) as exc:
        raise Unreachable(f"NATS at {url} stopped answering ({type(exc).__name__})") from exc
    except APIError as exc:
        raise CliError(f"NATS at {url} refused: {exc.description or exc}") from exc
    finally:
        await nc.close()


async def _quiet(error: Exception) -> None:
    """Connection faults surface as the exception of the call that met them."""


def check_consumer(name: str) -> str:
    if name not in CONSUMERS:
        raise UnknownConsumer(name)
    return name


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


async def _refeed(
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


async def _replay(js: JetStreamContext, msg: RawStreamMsg) -> DeadLetter:
    letter = _dead_letter(msg)
    if letter.consumer not in CONSUMERS:
        raise CliError(f"dead letter {letter.seq} names no known consumer: {letter.consumer!r}")
    await _refeed(
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


async def replay_events(
    js: JetStreamContext,
    consumer: str,
    since: datetime | int,
    until: datetime | int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Re-feed `consumer` the events from `since` (an aware time or a stream sequence) to
    `until` included, or to the last one there is when called; `progress(done, total)` after
    each. How many it re-fed."""
    check_consumer(consumer)
    by_time = isinstance(since, datetime)
    policy = DeliverPolicy.BY_START_TIME if by_time else DeliverPolicy.BY_START_SEQUENCE
    info = await js.add_consumer(
        STREAM,
        ConsumerConfig(
            description=f"orders events replay to {consumer}",
            deliver_policy=policy,
            opt_start_time=since if isinstance(since, datetime) else None,
            opt_start_seq=since if isinstance(since, int) else None,
            ack_policy=AckPolicy.NONE,
            filter_subject=EVENTS_SUBJECTS,  # never the orders.redeliver.> replays themselves
            inactive_threshold=REPLAY_CONSUMER_IDLE_SECONDS,
            mem_storage=True,
            num_replicas=1,
        ),
    )
    assert info.name is not None
    sub = await js.pull_subscribe_bind(name=info.name, stream=STREAM)
    try:
        # Events published from now on are not replayed: `total` counted up to here.
        total = info.num_pending or 0
        last_seq = (await js.stream_info(STREAM)).state.last_seq
        if isinstance(until, int):
            last_seq = min(last_seq, until)
        done = 0
        while done < total:
            try:
                batch = await sub.fetch(min(FETCH_BATCH, total - done), FETCH_TIMEOUT_SECONDS)
            except nats.errors.TimeoutError:
                if (await js.consumer_info(STREAM, info.name)).num_pending == 0:
                    break  # expired or deleted meanwhile
                continue
            for msg in batch:
                meta = msg.metadata
                if meta.sequence.stream > last_seq or (
                    isinstance(until, datetime) and meta.timestamp > until
                ):
                    return done
                try:
                    order = parse_event(msg.data).subject
                except ValidationError:
                    order = msg.subject.rsplit(".", 1)[-1]
                await _refeed(js, consumer, order, msg, str(meta.sequence.stream))
                done += 1
                if progress is not None:
                    progress(done, total)
        return done
    finally:
        await sub.unsubscribe()
        with contextlib.suppress(nats.errors.Error):
            await js.delete_consumer(STREAM, info.name)
