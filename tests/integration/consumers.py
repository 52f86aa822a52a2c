"""The side-effect consumers as the tests see them: events to publish, apps to run in process,
and the mail, metrics and dead letters to read back."""

from __future__ import annotations

import email
import mailbox
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from nats.js import JetStreamContext
from nats.js.api import RawStreamMsg
from nats.js.errors import NotFoundError
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncSession

from cli.bus.provision import provision
from orders.bus import CONSUMERS, DLQ_STREAM, MSG_ID, STREAM
from orders.events import event_subject
from tests.integration.orders import poll
from tests.tokens import SERVICE_HEADERS
from workers.consumer.handler import Event, Handler


async def publish(
    js: JetStreamContext, event: Event, *, msg_id: str | None = None, subject: str | None = None
) -> int:
    """Publish as the orchestrator does; returns the stream sequence."""
    ack = await js.publish(
        subject or event_subject(event.type, event.data.order_id),
        event.model_dump_json().encode(),
        headers={MSG_ID: msg_id or event.id},
    )
    assert not ack.duplicate
    return int(ack.seq)


async def publish_raw(js: JetStreamContext, subject: str, payload: bytes) -> int:
    ack = await js.publish(subject, payload, headers={MSG_ID: uuid.uuid4().hex})
    return int(ack.seq)


async def reset_bus(js: JetStreamContext) -> None:
    """Empty both streams and make the durable consumers anew: each test starts from nothing."""
    for stream in (STREAM, DLQ_STREAM):
        await js.purge_stream(stream)
    for name in CONSUMERS:
        with suppress(NotFoundError):
            await js.delete_consumer(STREAM, name)
    await provision(js)


async def dead_letters(js: JetStreamContext, consumer: str | None = None) -> list[RawStreamMsg]:
    info = await js.stream_info(DLQ_STREAM)
    letters = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        if info.state.messages == 0:
            break
        try:
            letter = await js.get_msg(DLQ_STREAM, seq)
        except NotFoundError:
            continue
        if consumer is None or (letter.subject or "").startswith(f"orders.dlq.{consumer}."):
            letters.append(letter)
    return letters


def mails(maildir: Path, order_id: str) -> list[EmailMessage]:
    """The messages in the Maildir about one order."""
    if not maildir.exists():
        return []
    box = mailbox.Maildir(maildir, create=False)
    found = []
    for key in box.iterkeys():
        message = email.message_from_bytes(box.get_bytes(key), policy=default)
        assert isinstance(message, EmailMessage)
        if message["X-Order-Id"] == order_id:
            found.append(message)
    return found


def metric(text: str, sample: str, consumer: str) -> float:
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == sample and s.labels.get("consumer") == consumer:
                return float(s.value)
    raise KeyError(f"no sample {sample}{{consumer={consumer!r}}} in:\n{text}")


@dataclass
class RunningConsumer:
    name: str
    app: FastAPI
    http: httpx.AsyncClient

    async def metric(self, sample: str) -> float:
        response = await self.http.get("/metrics")
        response.raise_for_status()
        return metric(response.text, f"orders_consumer_{sample}", self.name)

    async def points(self, customer_id: str) -> dict[str, Any]:
        response = await self.http.get(f"/customers/{customer_id}/points")
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    async def daily(self, day: str) -> dict[str, Any]:
        response = await self.http.get("/daily", params={"day": day})
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    async def notifications(self, order_id: str) -> list[dict[str, Any]]:
        response = await self.http.get("/notifications", params={"order_id": order_id})
        response.raise_for_status()
        body: list[dict[str, Any]] = response.json()
        return body


@asynccontextmanager
async def running(name: str, app: FastAPI) -> AsyncIterator[RunningConsumer]:
    """Run `app`'s lifespan (database, NATS, the consumer loop) and talk to it in process."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url=f"http://{name}", headers=SERVICE_HEADERS
        ) as http:

            async def healthy() -> bool:
                return (await http.get("/healthz")).status_code == 200

            await poll(healthy, what=f"{name} bound to its consumer", within=15)
            yield RunningConsumer(name, app, http)


class Flaky(Handler[Any]):
    """Fails the first `failures` attempts with a transient error, then delegates; records when
    each attempt came."""

    def __init__(self, inner: Handler[Any], failures: int) -> None:
        self.inner = inner
        self.failures = failures
        self.attempts: list[float] = []

    async def effect(self, event: Event) -> Any:
        self.attempts.append(time.monotonic())
        if len(self.attempts) <= self.failures:
            raise ConnectionError(f"flaky dependency (attempt {len(self.attempts)})")
        return await self.inner.effect(event)

    async def record(self, session: AsyncSession, event: Event, effect: Any) -> None:
        await self.inner.record(session, event, effect)
