"""`orders bus provision` and `orders bus status`: the topology, written once and read back."""

from __future__ import annotations

from typing import Annotated

import typer
from nats.js import JetStreamContext
from nats.js.api import ClusterInfo, ConsumerInfo, StreamInfo

from cli import options
from cli.bus.connection import jetstream
from cli.bus.provision import Change, provision
from cli.options import DEFAULT_NATS, NatsUrl
from orders.bus import CONSUMERS, DLQ_STREAM, STREAM, consumer_config
from orders.settings import Settings
from orders.topology import (
    PROVISION,
    TUNABLE,
    Difference,
    TopologyMissing,
    consumer_info,
    drift,
    expected_stream,
    stream_info,
)

DEFAULTS = Settings.model_construct()
"""The settings' defaults, without reading the environment: the options read it themselves, so
that a bad value is a usage error naming its variable."""

bus_app = typer.Typer(
    help="The event bus topology: provision the streams and consumers, show how they stand.",
    no_args_is_help=True,
)

CheckReplicas = Annotated[
    int | None,
    typer.Option(
        "--replicas",
        min=1,
        max=5,
        help="Also check that every stream has this many copies.",
    ),
]


@bus_app.command("provision")
def provision_command(
    replicas: Annotated[
        int,
        typer.Option(
            min=1,
            max=5,
            envvar="ORDERS_NATS_REPLICAS",
            help="Copies of each stream (3 on three nodes).",
        ),
    ] = DEFAULTS.nats_replicas,
    max_bytes: Annotated[
        int,
        typer.Option(
            min=1024, envvar="ORDERS_EVENTS_MAX_BYTES", help="Size limit of ORDER_EVENTS."
        ),
    ] = DEFAULTS.events_max_bytes,
    dlq_max_bytes: Annotated[
        int,
        typer.Option(
            min=1024, envvar="ORDERS_DLQ_MAX_BYTES", help="Size limit of ORDER_EVENTS_DLQ."
        ),
    ] = DEFAULTS.dlq_max_bytes,
    nats_url: NatsUrl = DEFAULT_NATS,
) -> None:
    """Create the streams and durable consumers, or bring them to the code's definitions.

    The only command that changes the topology; run it once per deploy (compose runs it as the
    bus-init job). A setting changed by hand on the live stream is set back to the code's.

    Examples:

      orders bus provision

      orders bus provision --replicas 3
    """

    async def work() -> list[Change]:
        async with jetstream(nats_url, check=False) as js:
            return await provision(js, replicas, max_bytes, dlq_max_bytes)

    for change in options.run(work()):
        typer.echo(str(change))


@bus_app.command("status")
def status_command(replicas: CheckReplicas = None, nats_url: NatsUrl = DEFAULT_NATS) -> None:
    """Show each stream and consumer: replicas, limits, backlog, and any drift from the code.

    Settings an operator may tune (replicas, limits, descriptions) are shown but not held to the
    code's, except the replicas when --replicas is given. Exit 1 on drift or a missing part.

    Examples:

      orders bus status

      orders bus status --replicas 3
    """

    async def work() -> list[str]:
        async with jetstream(nats_url, check=False) as js:
            return await _status(js, replicas)

    problems = options.run(work())
    if problems:
        typer.echo(f"{len(problems)} problem(s):", err=True)
        for problem in problems:
            typer.echo(f"  {problem}", err=True)
        raise typer.Exit(1)


async def _status(js: JetStreamContext, replicas: int | None) -> list[str]:
    ignore = TUNABLE - {"num_replicas"} if replicas else TUNABLE
    problems: list[str] = []
    for name in (STREAM, DLQ_STREAM):
        try:
            info = await stream_info(js, name)
        except TopologyMissing as exc:
            typer.echo(f"stream {name}: MISSING")
            problems.append(str(exc))
            continue
        typer.echo(_stream_line(info))
        wanted = expected_stream(name)
        wanted.num_replicas = replicas
        problems += _drifted(f"stream {name}", drift(info.config, wanted, ignore))
    for name in CONSUMERS:
        try:
            consumer = await consumer_info(js, name)
        except TopologyMissing as exc:
            typer.echo(f"  consumer {name}: MISSING")
            problems.append(str(exc))
            continue
        typer.echo(_consumer_line(consumer))
        problems += _drifted(f"consumer {name}", drift(consumer.config, consumer_config(name)))
    return problems


def _drifted(what: str, differences: list[Difference]) -> list[str]:
    lines = [f"{what}: {difference} (`{PROVISION}` sets it back)" for difference in differences]
    for line in lines:
        typer.echo(f"    DRIFT {line}")
    return lines


def _stream_line(info: StreamInfo) -> str:
    config, state = info.config, info.state
    age = f"{(config.max_age or 0) / 86400:g}d" if config.max_age else "unlimited"
    limit = _size(config.max_bytes) if config.max_bytes and config.max_bytes > 0 else "unlimited"
    discard = getattr(config.discard, "value", config.discard)
    return (
        f"stream {config.name}: R{config.num_replicas}{_cluster(info.cluster)}, "
        f"{state.messages} messages, {_size(state.bytes)} of {limit}, max_age {age}, "
        f"max_msgs {config.max_msgs}, discard {discard}"
    )


def _size(count: int) -> str:
    for unit in ("B", "KiB", "MiB"):
        if count < 1024:
            return f"{count:g} {unit}"
        count //= 1024
    return f"{count:g} GiB"


def _consumer_line(info: ConsumerInfo) -> str:
    return (
        f"  consumer {info.name}: {_replicas(info.config.num_replicas)}"
        f"{_cluster(info.cluster)}, {info.num_pending or 0} pending, "
        f"{info.num_ack_pending or 0} unacknowledged, {info.num_redelivered or 0} redelivered, "
        f"max_deliver {info.config.max_deliver}, ack_wait {info.config.ack_wait:g}s"
    )


def _replicas(count: int | None) -> str:
    return f"R{count}" if count else "replicas as its stream's"


def _cluster(cluster: ClusterInfo | None) -> str:
    peers = (cluster.replicas or []) if cluster is not None else []
    if cluster is None or not peers:
        return ""  # one server, no cluster
    current = sum(1 for peer in peers if peer.current)
    return f" (leader {cluster.leader}, {current} of {len(peers)} followers current)"
