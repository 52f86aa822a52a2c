"""Operating the event bus from the command line: one connection per command, and re-feeding.

Re-feeding one consumer is a publish on `orders.redeliver.<consumer>.<order>`, which only that
consumer filters on, with a fresh `Nats-Msg-Id` so that stream deduplication never swallows it.
Consumers are idempotent by event id, so a re-feed is always safe. Dead letters are in
`cli.dlq.dead_letters`, re-feeding history in `cli.events.replay`.

Errors are the CLI's, so a command ends in one line:

    CliError
    ├── Unreachable         NATS does not answer             (exit 2)
    ├── UnknownConsumer     not one of orders.bus.CONSUMERS  (exit 1)
    └── UnknownDeadLetter   no such sequence in the DLQ      (exit 1, cli.dlq.dead_letters)
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import AsyncIterator

import nats
import nats.errors
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import RawStreamMsg
from nats.js.errors import APIError

from cli.errors import CliError, Unreachable
from orders.bus import (
    CONSUMERS,
    MSG_ID,
    STREAM,
    nats_servers,
    provision_streams,
    redeliver_subject,
)
from orders.settings import get_settings

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 3.0
_NOT_COPIED = ("Nats-", "Orders-Dlq-")
"""Header prefixes that describe where a message sat, not the event: never re-fed."""


class UnknownConsumer(CliError):
    def __init__(self, name: str) -> None:
        super().__init__(f"unknown consumer {name!r}: one of {', '.join(CONSUMERS)}")


@contextlib.asynccontextmanager
async def jetstream(url: str) -> AsyncIterator[JetStreamContext]:
    """JetStream for one command, streams provisioned; NATS faults become `CliError`s.

    Not `orders.bus.connect_nats`: that one is for workers, and keeps retrying (and logging) for
    as long as NATS is down, where a command should say so at once.
    """
    try:
        nc = await nats.connect(
            nats_servers(url),
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
        await provision_streams(js, get_settings().nats_replicas)
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
