"""What happens to one delivered message: apply once, retry with backoff, or dead-letter.

A failure is classified (`workers.consumer.failures`): a message failure spends the message's
attempts; a dependency failure is retried until the event is `max_retry_seconds` old and tells
the circuit breaker (`Outcome.DEPENDENCY_DOWN`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from enum import StrEnum
from typing import Any

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from opentelemetry.trace import Span, SpanKind
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from orders.events import parse_event
from orders.logs import order_logging
from orders.telemetry import ORDER_ID_ATTRIBUTE, TRACEPARENT, context_from_traceparent, tracer
from servicekit.clock import utcnow
from servicekit.db import Database
from workers.consumer.deadletter import (
    describe,
    invalid_event_reason,
    order_id_hint,
    publish_dead_letter,
)
from workers.consumer.failures import Failure, classify
from workers.consumer.handler import Event, Handler
from workers.consumer.metrics import ConsumerMetrics
from workers.consumer.processed import ProcessedEvent, is_processed
from workers.consumer.settings import RetryPolicy

logger = logging.getLogger(__name__)


class Outcome(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    RETRYING = "retrying"
    """A message failure, tried again after a delay."""
    DEPENDENCY_DOWN = "dependency_down"
    """The consumer's dependency did not answer: tried again after a delay; the breaker counts
    it."""
    DEAD_LETTERED = "dead_lettered"


class Delivery:
    """Settles each message exactly once: ack, nak with a delay, or dead letter then ack."""

    def __init__(
        self,
        name: str,
        js: JetStreamContext,
        db: Database,
        handler: Handler[Any],
        policy: RetryPolicy,
        metrics: ConsumerMetrics,
    ) -> None:
        self.name = name
        self.js = js
        self.db = db
        self.handler = handler
        self.policy = policy
        self.metrics = metrics
        self.last_failure: str | None = None
        """Why the last dependency failure happened (the breaker's reason when it opens)."""
        handler.use_database(db)

    async def probe(self) -> None:
        """Raise unless the database and the handler's own dependency answer."""
        async with self.db.readers() as session:
            await session.execute(text("SELECT 1"))
        await self.handler.probe()

    async def process(self, msg: Msg) -> Outcome:
        """Settle `msg`; its log lines name its order, and its handling is a CONSUMER span in
        the order's trace (a child of the publish, whose `traceparent` the event carries)."""
        try:
            event = parse_event(msg.data)
        except ValidationError as exc:
            order_id = order_id_hint(msg.data)
            with order_logging(order_id):
                return await self._dead_letter(msg, order_id, invalid_event_reason(exc))
        with order_logging(event.data.order_id), self._span(msg, event) as span:
            outcome = await self._settle(msg, event)
            span.set_attribute("orders.consumer.outcome", outcome.value)
            return outcome

    @contextmanager
    def _span(self, msg: Msg, event: Event) -> Iterator[Span]:
        traceparent = (msg.headers or {}).get(TRACEPARENT) or event.traceparent
        with tracer().start_as_current_span(
            f"{self.name} process {event.type.value}",
            context=context_from_traceparent(traceparent),
            kind=SpanKind.CONSUMER,
            attributes={
                "messaging.system": "nats",
                "messaging.consumer.group.name": self.name,
                "messaging.destination.name": msg.subject,
                "messaging.message.id": event.id,
                ORDER_ID_ATTRIBUTE: event.data.order_id,
            },
        ) as span:
            yield span

    async def _settle(self, msg: Msg, event: Event) -> Outcome:
        order_id = event.data.order_id
        delivery = msg.metadata.num_delivered
        last = delivery >= self.policy.max_deliveries
        try:
            # Look the event up first where a repeat would show: before an effect outside the
            # transaction (an email) runs again, and before a message on its last delivery is
            # dead-lettered though it was applied. Otherwise `_apply` finds it inside its
            # transaction.
            if (self.handler.effect_outside_transaction or last) and await self._seen(event.id):
                return await self._duplicate(msg, event)
            if last:
                # The server delivers it no more after this one: whatever went wrong each time
                # (crashes, outlived ack waits, retries), it goes to the DLQ rather than stay
                # unacknowledged for good.
                reason = f"not settled in {delivery} deliveries, the server's limit"
                return await self._dead_letter(msg, order_id, reason)
            applied = await self._apply(event, msg.metadata.sequence.stream)
        except Exception as exc:
            failure = classify(exc)
            if failure is Failure.PERMANENT:
                return await self._dead_letter(msg, order_id, f"permanent failure: {describe(exc)}")
            if failure is Failure.DEPENDENCY:
                return await self._dependency_down(msg, order_id, exc)
            return await self._failed(msg, order_id, exc)
        if not applied:
            return await self._duplicate(msg, event)
        self.metrics.processed.inc()
        logger.info("order %s: %s applied %s", order_id, self.name, event.type.value)
        await self.acknowledge(msg)
        return Outcome.APPLIED

    async def acknowledge(self, msg: Msg) -> None:
        """Acknowledge a settled message: only ever after its effect or dead letter is durable."""
        await msg.ack()

    async def _seen(self, event_id: str) -> bool:
        async with self.db.readers() as session:
            return await is_processed(session, event_id)

    async def _apply(self, event: Event, stream_seq: int) -> bool:
        """Run the handler; commit its record with the event id. False if already applied."""
        effect = await self.handler.effect(event)
        try:
            async with self.db.sessions() as session, session.begin():
                if await is_processed(session, event.id):
                    # Another instance applied it between our check and now.
                    return False
                await self.handler.record(session, event, effect)
                session.add(
                    ProcessedEvent(
                        event_id=event.id,
                        event_type=event.type.value,
                        applied_at=utcnow(),
                        stream_seq=stream_seq,
                    )
                )
        except IntegrityError:
            if await self._seen(event.id):
                return False
            raise
        return True

    async def _duplicate(self, msg: Msg, event: Event) -> Outcome:
        self.metrics.duplicate.inc()
        logger.info(
            "order %s: %s already applied %s (stream seq %d): acknowledged without effect",
            event.data.order_id,
            self.name,
            event.id,
            msg.metadata.sequence.stream,
        )
        await self.acknowledge(msg)
        return Outcome.DUPLICATE

    async def _dependency_down(self, msg: Msg, order_id: str, exc: Exception) -> Outcome:
        self.metrics.failed.inc()
        delivery = msg.metadata.num_delivered
        age = message_age(msg)
        self.last_failure = f"dependency down: {describe(exc)}"
        if not self.policy.retries_dependency(delivery, age):
            reason = (
                f"its dependency still failing at {age:.0f}s of age, past the retry budget of "
                f"{self.policy.max_retry_seconds:.0f}s ({delivery} deliveries); "
                f"last error: {describe(exc)}"
            )
            return await self._dead_letter(msg, order_id, reason)
        delay = self.policy.delay(delivery)
        logger.warning(
            "order %s: %s: its dependency failed (delivery %d, event %.0fs old), retrying in "
            "%.1fs: %s",
            order_id,
            self.name,
            delivery,
            age,
            delay,
            describe(exc),
        )
        await msg.nak(delay=delay)
        return Outcome.DEPENDENCY_DOWN

    async def _failed(self, msg: Msg, order_id: str, exc: Exception) -> Outcome:
        self.metrics.failed.inc()
        delivery = msg.metadata.num_delivered
        if not self.policy.retries(delivery):
            reason = f"failed {delivery} times; last error: {describe(exc)}"
            return await self._dead_letter(msg, order_id, reason)
        delay = self.policy.delay(delivery)
        logger.warning(
            "order %s: %s failed (delivery %d of %d), retrying in %.1fs: %s",
            order_id,
            self.name,
            delivery,
            self.policy.max_attempts,
            delay,
            describe(exc),
        )
        # Always with a delay: a bare nak redelivers at once and spins on a broken dependency.
        await msg.nak(delay=delay)
        return Outcome.RETRYING

    async def _dead_letter(self, msg: Msg, order_id: str | None, reason: str) -> Outcome:
        await publish_dead_letter(self.js, self.name, msg, order_id, reason)
        self.metrics.dead_lettered.inc()
        await self.acknowledge(msg)
        return Outcome.DEAD_LETTERED


def message_age(msg: Msg) -> float:
    """Seconds since the message was stored in its stream (its JetStream timestamp)."""
    stamp = msg.metadata.timestamp
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return max((utcnow() - stamp).total_seconds(), 0.0)
