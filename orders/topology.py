"""The live bus topology compared with the code's (`orders.bus`), for processes that only read it.

`orders bus provision` is the one writer. Every other process looks its stream and consumer up
when it connects:

- **missing**: `TopologyMissing`, whose message names `orders bus provision`; the process does
  not create it (a consumer stays unhealthy and looks again, a publish retries);
- **drifted**: each difference is logged, with how to bring it back, and the process goes on
  with the topology as it is, so a setting an operator changed on purpose is never reset.

Compared are the settings the code chooses (those its definitions set to other than nats-py's
defaults), except the ones an operator may tune on a running system (`TUNABLE`): the number of
replicas and the limits of a stream (bytes, age, messages, message size), a description, and a
consumer's `max_ack_pending`. `orders bus status` prints those too, and with `--replicas` holds
the replicas to that number.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from enum import Enum
from typing import TypeVar

from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, ConsumerInfo, StreamConfig, StreamInfo
from nats.js.errors import NotFoundError

from orders.bus import STREAM, consumer_config, stream_configs

log = logging.getLogger("orders.topology")

PROVISION = "orders bus provision"
TUNABLE = frozenset(
    {
        "num_replicas",
        "max_bytes",
        "max_age",
        "max_msgs",
        "max_msgs_per_subject",
        "max_msg_size",
        "description",
        "max_ack_pending",
    }
)
"""Settings an operator may change on the live topology without it counting as drift."""

ConfigT = TypeVar("ConfigT", StreamConfig, ConsumerConfig)


class TopologyMissing(Exception):
    """A stream or consumer the code needs is not on the server."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} does not exist: provision the bus first with `{PROVISION}`")
        self.what = what


@dataclass(frozen=True)
class Difference:
    """One setting whose live value is not the code's."""

    setting: str
    live: object
    code: object

    def __str__(self) -> str:
        return f"{self.setting} is {_shown(self.live)}, the code says {_shown(self.code)}"


def drift(live: ConfigT, code: ConfigT, ignore: frozenset[str] = TUNABLE) -> list[Difference]:
    """What differs between `live` and `code`, over the settings the code chooses."""
    differences = []
    for field in dataclasses.fields(code):
        wanted = getattr(code, field.name)
        if field.name in ignore or wanted is None or wanted == field.default:
            continue
        actual = getattr(live, field.name, None)
        if _normal(actual) != _normal(wanted):
            differences.append(Difference(field.name, actual, wanted))
    return differences


def expected_stream(name: str) -> StreamConfig:
    return next(config for config in stream_configs() if config.name == name)


async def stream_info(js: JetStreamContext, name: str) -> StreamInfo:
    """The live stream `name`; `TopologyMissing` if there is none."""
    try:
        return await js.stream_info(name)
    except NotFoundError:
        raise TopologyMissing(f"stream {name}") from None


async def consumer_info(js: JetStreamContext, name: str, stream: str = STREAM) -> ConsumerInfo:
    """The live durable consumer `name` on `stream`; `TopologyMissing` if there is none."""
    try:
        info: ConsumerInfo = await js.consumer_info(stream, name)
    except NotFoundError:
        raise TopologyMissing(f"consumer {name} on stream {stream}") from None
    return info


async def check_stream(js: JetStreamContext, name: str, who: str) -> StreamInfo:
    """Stream `name` as it is: missing raises, drift is logged for `who` and let be."""
    info = await stream_info(js, name)
    report(f"stream {name}", drift(info.config, expected_stream(name)), who)
    return info


async def check_consumer(js: JetStreamContext, name: str, who: str) -> ConsumerInfo:
    """Stream and consumer `name` as they are: missing raises, drift is logged and let be."""
    await check_stream(js, STREAM, who)
    info = await consumer_info(js, name)
    report(f"consumer {name}", drift(info.config, consumer_config(name)), who)
    return info


def report(what: str, differences: list[Difference], who: str) -> None:
    if differences:
        log.warning(
            "%s: %s differs from the code's definition (%s); using it as it is: `%s` brings "
            "it back to the code's",
            who,
            what,
            "; ".join(map(str, differences)),
            PROVISION,
        )


def _normal(value: object) -> object:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return sorted((_normal(item) for item in value), key=repr)
    if isinstance(value, float):
        return round(value, 3)
    return value


def _shown(value: object) -> str:
    return repr(value.value) if isinstance(value, Enum) else repr(value)
