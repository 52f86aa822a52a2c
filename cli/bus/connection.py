"""JetStream for one command; NATS faults and a missing topology become `CliError`s.

Errors are the CLI's, so a command ends in one line:

    CliError
    ├── Unreachable         NATS does not answer                     (exit 2)
    ├── NotProvisioned      a stream is missing: run `orders bus provision`  (exit 1)
    ├── UnknownConsumer     not one of orders.bus.CONSUMERS          (exit 1, cli.bus.refeed)
    └── UnknownDeadLetter   no such sequence in the DLQ              (exit 1, cli.dlq.dead_letters)

A command reads the topology and never changes it: only `orders bus provision` does.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import nats
import nats.errors
from nats.js import JetStreamContext
from nats.js.errors import APIError

from cli.errors import CliError, Unreachable
from orders.bus import DLQ_STREAM, STREAM, nats_servers
from orders.topology import TopologyMissing, check_stream

CONNECT_TIMEOUT_SECONDS = 3.0


class NotProvisioned(CliError):
    """A stream or consumer the command needs is not there."""


@contextlib.asynccontextmanager
async def jetstream(url: str, *, check: bool = True) -> AsyncIterator[JetStreamContext]:
    """JetStream for one command; with `check`, both streams must exist (drift is logged).

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
        if check:
            for stream in (STREAM, DLQ_STREAM):
                await check_stream(js, stream, "orders")
        yield js
    except TopologyMissing as exc:
        raise NotProvisioned(f"NATS at {url}: {exc}") from None
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
