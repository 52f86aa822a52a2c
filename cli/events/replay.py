"""Re-feeding history to one consumer: `orders events replay`.

Events are read through an ephemeral pull consumer that is deleted at the end (and dropped by
the server if we crash), filtered on `orders.events.>` so earlier re-feeds are never re-fed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime

import nats.errors
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from pydantic import ValidationError

from cli.bus.refeed import check_consumer, refeed
from orders.bus import EVENTS_SUBJECTS, STREAM
from orders.events import parse_event

FETCH_BATCH = 256
FETCH_TIMEOUT_SECONDS = 2.0
REPLAY_CONSUMER_IDLE_SECONDS = 60.0
"""The server drops the replay's ephemeral consumer once idle this long: after a crash, say."""


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
                await refeed(js, consumer, order, msg, str(meta.sequence.stream))
                done += 1
                if progress is not None:
                    progress(done, total)
        return done
    finally:
        await sub.unsubscribe()
        with contextlib.suppress(nats.errors.Error):
            await js.delete_consumer(STREAM, info.name)
