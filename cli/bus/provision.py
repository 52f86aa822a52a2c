"""Creating and updating the bus topology from the code's definitions (`orders.bus`).

The one writer of the topology: `orders bus provision` runs it (so do `orders dev` and the test
fixtures that start NATS). A stream or consumer that matches the code is left alone; one that
differs is updated to the code's whole definition (limits and replicas included), since
`update_stream` replaces a stream's config rather than merging into it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import nats
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from orders.bus import (
    CONSUMERS,
    DLQ_MAX_BYTES,
    MAX_BYTES,
    STREAM,
    consumer_config,
    nats_servers,
    stream_configs,
)
from orders.topology import Difference, drift

NOTHING: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Change:
    """What provisioning did to one stream or consumer."""

    what: str
    action: str
    """`created`, `updated` or `unchanged`."""
    differences: list[Difference] = field(default_factory=list)

    def __str__(self) -> str:
        detail = f" ({'; '.join(map(str, self.differences))})" if self.differences else ""
        return f"{self.what}: {self.action}{detail}"


async def provision(
    js: JetStreamContext,
    replicas: int = 1,
    max_bytes: int = MAX_BYTES,
    dlq_max_bytes: int = DLQ_MAX_BYTES,
) -> list[Change]:
    """Bring both streams and every consumer to the code's definitions; say what changed."""
    changes = []
    for config in stream_configs(replicas, max_bytes, dlq_max_bytes):
        what = f"stream {config.name}"
        try:
            live = (await js.stream_info(str(config.name))).config
        except NotFoundError:
            await js.add_stream(config)
            changes.append(Change(what, "created"))
            continue
        differences = drift(live, config, NOTHING)
        if differences:
            await js.update_stream(config)
        changes.append(Change(what, "updated" if differences else "unchanged", differences))
    for name in CONSUMERS:
        wanted = consumer_config(name)
        what = f"consumer {name}"
        try:
            current = (await js.consumer_info(STREAM, name)).config
        except NotFoundError:
            await js.add_consumer(STREAM, wanted)
            changes.append(Change(what, "created"))
            continue
        differences = drift(current, wanted, NOTHING)
        if differences:
            await js.add_consumer(STREAM, wanted)  # create-or-update, by name
        changes.append(Change(what, "updated" if differences else "unchanged", differences))
    return changes


async def provision_at(url: str, replicas: int = 1) -> list[Change]:
    """`provision` on a connection of its own to `url` (the local stack, test fixtures)."""
    nc = await nats.connect(nats_servers(url))
    try:
        return await provision(nc.jetstream(), replicas)
    finally:
        await nc.close()
