"""What a run's workflows did and when, read back after the run: histories, effects, the stream.

- Histories (Temporal's own timestamps): when each workflow started and closed, and each activity's
  scheduled → started → completed, so that queueing and execution read apart.
- Effects: each consumer's `/events?order_id=` record, whose `applied_at` is written in the same
  transaction as the effect, and the JetStream timestamp of the message it applied (the publish).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

import httpx
from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from orders.bus import STREAM

FETCH_CONCURRENCY = 16
T = TypeVar("T")
R = TypeVar("R")


@dataclass
class Activity:
    name: str
    scheduled: datetime
    started: datetime | None = None
    completed: datetime | None = None


@dataclass
class History:
    started: datetime
    closed: datetime | None
    activities: list[Activity] = field(default_factory=list)
    local_activities: int = 0
    """Local activities leave only a marker: no queueing, no separate timings."""


@dataclass
class Effect:
    consumer: str
    applied_at: datetime
    published_at: datetime | None
    """The JetStream timestamp of the message that was applied."""


async def bounded(items: Iterable[T], fetch: Callable[[T], Awaitable[R]]) -> list[R]:
    semaphore = asyncio.Semaphore(FETCH_CONCURRENCY)

    async def one(item: T) -> R:
        async with semaphore:
            return await fetch(item)

    return list(await asyncio.gather(*(one(item) for item in items)))


def _at(event: object) -> datetime:
    return event.event_time.ToDatetime(tzinfo=UTC)  # type: ignore[attr-defined, no-any-return]


async def history(client: Client, workflow_id: str) -> History:
    events = (await client.get_workflow_handle(workflow_id).fetch_history()).events
    found = History(started=_at(events[0]), closed=None)
    by_id: dict[int, Activity] = {}
    for event in events:
        kind = event.event_type
        if kind == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            name = event.activity_task_scheduled_event_attributes.activity_type.name
            by_id[event.event_id] = Activity(name, _at(event))
            found.activities.append(by_id[event.event_id])
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            by_id[event.activity_task_started_event_attributes.scheduled_event_id].started = _at(
                event
            )
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            scheduled = event.activity_task_completed_event_attributes.scheduled_event_id
            by_id[scheduled].completed = _at(event)
        elif kind == EventType.EVENT_TYPE_MARKER_RECORDED:
            found.local_activities += 1
        elif kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
            found.closed = _at(event)
    return found


async def histories(client: Client, workflow_ids: list[str]) -> list[History]:
    return await bounded(workflow_ids, lambda workflow_id: history(client, workflow_id))


async def effects(
    http: httpx.AsyncClient,
    js: JetStreamContext,
    consumers: dict[str, str],
    order_ids: list[str],
    *,
    within: float,
) -> dict[str, list[Effect]]:
    """Each order's effects, one per consumer, polled until all are there or `within` runs out."""
    found: dict[str, list[Effect]] = {order_id: [] for order_id in order_ids}
    published: dict[int, datetime | None] = {}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within

    async def read(order_id: str) -> None:
        have = {effect.consumer for effect in found[order_id]}
        for consumer, url in consumers.items():
            if consumer in have:
                continue
            response = await http.get(f"{url}/events", params={"order_id": order_id})
            response.raise_for_status()
            for record in response.json():
                seq = int(record["stream_seq"])
                if seq not in published:
                    published[seq] = await _stream_time(js, seq)
                applied = datetime.fromisoformat(record["applied_at"])
                found[order_id].append(Effect(consumer, applied, published[seq]))
                break

    while True:
        missing = [o for o, got in found.items() if len(got) < len(consumers)]
        if not missing or loop.time() >= deadline:
            return found
        await bounded(missing, read)
        if any(len(found[o]) < len(consumers) for o in missing):
            await asyncio.sleep(0.2)  # the consumers are still applying: poll again


async def drained(js: JetStreamContext, consumers: dict[str, str], *, within: float) -> None:
    """Until every consumer has applied and acknowledged every event so far (or `within` ran
    out): the stream's own bookkeeping, so that waiting costs the consumers nothing."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline:
        infos = [await js.consumer_info(STREAM, name) for name in consumers]
        if all(info.num_pending == 0 and info.num_ack_pending == 0 for info in infos):
            return
        await asyncio.sleep(0.05)  # still applying: ask the server again


async def _stream_time(js: JetStreamContext, seq: int) -> datetime | None:
    try:
        return (await js.get_msg(STREAM, seq)).time
    except NatsError:
        return None  # purged or replaced: the lag of this one is unknown
