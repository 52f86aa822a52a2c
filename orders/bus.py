"""The event bus topology on NATS JetStream, as the code defines it.

Only `orders bus provision` (`cli.bus.provision`) creates or changes it; every other process and
command reads it and compares it with these definitions (`orders.topology`).

```
stream ORDER_EVENTS      orders.events.<kind>.<order>       facts, fanned out to every consumer
                         orders.redeliver.<consumer>.<order> replays meant for one consumer
stream ORDER_EVENTS_DLQ  orders.dlq.<consumer>.<order>       what a consumer could not apply
```

Each side-effect worker is one durable consumer filtering `orders.events.>` plus its own
`orders.redeliver.<name>.>`, so it sees every fact and only its own replays. On a NATS cluster
the streams keep `replicas` copies (`ORDERS_NATS_REPLICAS`; the consumers inherit it), and a
URL may list several servers, comma-separated.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import nats
from nats.aio.client import Client as NATS
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    DiscardPolicy,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)

from orders.events import subject_token
from orders.settings import Settings

log = logging.getLogger("orders.bus")

STREAM = "ORDER_EVENTS"
DLQ_STREAM = "ORDER_EVENTS_DLQ"
EVENTS_SUBJECTS = "orders.events.>"
CONSUMERS = ("notification", "loyalty", "analytics")

MAX_AGE = timedelta(days=30)
DLQ_MAX_AGE = timedelta(days=90)
MAX_BYTES = Settings.model_fields["events_max_bytes"].default
"""Default size limit of ORDER_EVENTS (1 GiB, about a million events): `ORDERS_EVENTS_MAX_BYTES`."""
DLQ_MAX_BYTES = Settings.model_fields["dlq_max_bytes"].default
"""Default size limit of ORDER_EVENTS_DLQ (256 MiB): `ORDERS_DLQ_MAX_BYTES`."""
# Publishes retried within this window are deduplicated by Nats-Msg-Id; past it, the consumers'
# own idempotency (event ids recorded with each effect) still holds.
DUPLICATE_WINDOW = timedelta(hours=2)
ACK_WAIT = timedelta(seconds=30)
"""How long a delivered message is the replica's before JetStream hands it to another; a
consumer sends `in_progress()` every third of it for each message of its batch it still holds."""
MAX_DELIVER = 100
"""The server's safety net, above what a consumer's retries spend: a message failure is
dead-lettered after a few attempts, a dependency failure by the event's age (hours, with capped
backoff, and no deliveries while the circuit breaker is open). A consumer dead-letters the
message on this last delivery rather than leave it unacknowledged for good."""

# Headers of a dead letter.
DLQ_REASON = "Orders-Dlq-Reason"
DLQ_CONSUMER = "Orders-Dlq-Consumer"
DLQ_DELIVERIES = "Orders-Dlq-Deliveries"
DLQ_STREAM_SEQ = "Orders-Dlq-Stream-Seq"
DLQ_SUBJECT = "Orders-Dlq-Subject"
MSG_ID = "Nats-Msg-Id"


def stream_configs(
    replicas: int = 1, max_bytes: int = MAX_BYTES, dlq_max_bytes: int = DLQ_MAX_BYTES
) -> list[StreamConfig]:
    return [
        StreamConfig(
            name=STREAM,
            subjects=[EVENTS_SUBJECTS, "orders.redeliver.>"],
            storage=StorageType.FILE,
            retention=RetentionPolicy.LIMITS,
            discard=DiscardPolicy.NEW,
            max_age=MAX_AGE.total_seconds(),
            max_bytes=max_bytes,
            duplicate_window=DUPLICATE_WINDOW.total_seconds(),
            num_replicas=replicas,
        ),
        StreamConfig(
            name=DLQ_STREAM,
            subjects=["orders.dlq.>"],
            storage=StorageType.FILE,
            retention=RetentionPolicy.LIMITS,
            discard=DiscardPolicy.NEW,
            max_age=DLQ_MAX_AGE.total_seconds(),
            max_bytes=dlq_max_bytes,
            duplicate_window=DUPLICATE_WINDOW.total_seconds(),
            num_replicas=replicas,
        ),
    ]


def consumer_config(name: str) -> ConsumerConfig:
    return ConsumerConfig(
        name=name,
        durable_name=name,
        description=f"side effect: {name}",
        deliver_policy=DeliverPolicy.ALL,
        ack_policy=AckPolicy.EXPLICIT,
        ack_wait=ACK_WAIT.total_seconds(),
        max_deliver=MAX_DELIVER,
        filter_subjects=[EVENTS_SUBJECTS, f"orders.redeliver.{name}.>"],
        max_ack_pending=1000,
    )


def redeliver_subject(consumer: str, order_id: str) -> str:
    return f"orders.redeliver.{consumer}.{subject_token(order_id)}"


def dlq_subject(consumer: str, order_id: str) -> str:
    return f"orders.dlq.{consumer}.{subject_token(order_id)}"


def nats_servers(url: str) -> list[str]:
    """The servers in `url`: one URL, or several comma-separated (the nodes of a cluster)."""
    return [server.strip() for server in url.split(",") if server.strip()]


async def connect_nats(url: str, name: str) -> NATS:
    """A connection that keeps reconnecting for as long as the process lives.

    Connection trouble is logged as one line per event rather than nats-py's traceback per
    reconnect attempt, so an outage reads as an outage.
    """

    async def on_error(error: Exception) -> None:
        log.warning("%s: NATS at %s: %s", name, url, error or type(error).__name__)

    async def on_disconnected() -> None:
        log.warning("%s: disconnected from NATS at %s; reconnecting", name, url)

    async def on_reconnected() -> None:
        log.info("%s: reconnected to NATS at %s", name, url)

    return await nats.connect(
        nats_servers(url),
        name=name,
        max_reconnect_attempts=-1,
        reconnect_time_wait=1,
        connect_timeout=5,
        error_cb=on_error,
        disconnected_cb=on_disconnected,
        reconnected_cb=on_reconnected,
    )
