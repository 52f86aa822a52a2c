"""What happens to one delivered message: apply once, retry with backoff, or dead-letter."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Any

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from opentelemetry.trace import Span, SpanKind
from pydantic import ValidationError
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
from workers.consumer.handler import Event, Handler, PermanentFailure
from workers.consumer.metrics import ConsumerMetrics
from workers.consumer.processed import ProcessedEvent, is_processed
from workers.consumer.settings import RetryPolicy

logger = logging.getLogger(__name__)


class Outcome(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    RETRYING = "retrying"
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
        try:
            # Look the event up first where a repeat would show: before an effect outside the
            # transaction (an email) runs again, and before a message delivered too often is
            # dead-lettered though it was applied. Otherwise `_apply` finds it inside its
            # transaction.
            look_first = (
                self.handler.effect_outside_transaction or delivery > self.policy.max_attempts
            )
            if look_first and await self._seen(event.id):
                return await self._duplicate(msg, event)
            if delivery > self.policy.max_attempts:
                # Only deliveries we never settled get here (we stop nak-ing at max_attempts):
                # each one crashed the process or outlived the ack wait.
                reason = f"not settled in {delivery} deliveries (crashed or timed out each time)"
                return await self._dead_letter(msg, order_id, reason)
            applied = await self._apply(event, msg.metadata.sequence.stream)
        except PermanentFailure as exc:
            return await self._dead_letter(msg, order_id, f"permanent failure: {describe(exc)}")
        except Exception as exc:
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
