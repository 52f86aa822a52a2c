"""Batch commit: a fetched batch's effects and processed ids settled in ONE transaction.

For a consumer whose whole effect is database writes (a `TransactionalHandler`: loyalty,
analytics), the commit of each event is most of what the event costs. With `batch_commit` the
runner hands its fetched batch here first:

```
fetched batch ─▶ not a valid event, or on its last delivery ─▶ left to one at a time
                 the others, in one transaction:
                   id in processed_events, or twice in the batch ─▶ duplicate (no effect)
                   processed_events row, and handler.apply_all ───▶ applied
                 commit ─▶ acknowledge each
                 the transaction fails (a bad event, a conflict with another replica, the
                 database) ─▶ nothing of it is kept: the whole batch goes one at a time
                 (`Delivery.process`: retry, dead-letter), so one bad message fails only itself
```

A crash before the commit keeps none of the batch (JetStream redelivers it all); a crash after
it keeps all of it (the redeliveries are found in `processed_events`): never part of a batch.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from nats.aio.msg import Msg
from opentelemetry.trace import Span, SpanKind
from pydantic import ValidationError
from sqlalchemy import select

from orders.events import parse_event
from orders.logs import order_logging
from orders.telemetry import ORDER_ID_ATTRIBUTE, TRACEPARENT, context_from_traceparent, tracer
from servicekit.clock import utcnow
from workers.consumer.deadletter import describe
from workers.consumer.delivery import Delivery, Outcome
from workers.consumer.handler import Event, Handler, TransactionalHandler
from workers.consumer.processed import ProcessedEvent

logger = logging.getLogger(__name__)

Fetched = tuple[Msg, Event]


class BatchCommit:
    """Settles what it can of a fetched batch in one transaction; the rest goes one at a time."""

    def __init__(self, delivery: Delivery) -> None:
        handler = delivery.handler
        if not isinstance(handler, TransactionalHandler) or handler.effect_outside_transaction:
            # An email sent for a batch that then fails to commit would be sent again.
            raise ValueError(
                f"{delivery.name}: batch commit needs a handler whose whole effect is in the "
                "database (a TransactionalHandler)"
            )
        self.delivery = delivery
        self.handler = handler

    @staticmethod
    def supports(handler: Handler[Any]) -> bool:
        return isinstance(handler, TransactionalHandler) and not handler.effect_outside_transaction

    async def settle(
        self, msgs: Sequence[Msg], settled: Callable[[Msg], None] | None = None
    ) -> list[Msg]:
        """Apply and acknowledge what can go in one transaction, calling `settled` with each
        message it acknowledged; return the messages left for `Delivery.process`, in their
        order (all of them when the transaction failed)."""
        batch, left = self._split(msgs)
        if len(batch) < 2:
            return list(msgs)  # nothing to share a commit with
        name = self.delivery.name
        try:
            outcomes = await self._commit(batch)
        except Exception as exc:
            logger.warning(
                "%s: a batch of %d not committed (%s): settling each on its own",
                name,
                len(batch),
                describe(exc),
            )
            return list(msgs)
        metrics = self.delivery.metrics
        for (msg, event), outcome in zip(batch, outcomes, strict=True):
            with order_logging(event.data.order_id):
                if outcome is Outcome.APPLIED:
                    metrics.processed.inc()
                    logger.info(
                        "order %s: %s applied %s", event.data.order_id, name, event.type.value
                    )
                else:
                    metrics.duplicate.inc()
                    logger.info(
                        "order %s: %s already applied %s (stream seq %d): acknowledged without "
                        "effect",
                        event.data.order_id,
                        name,
                        event.id,
                        msg.metadata.sequence.stream,
                    )
            self._trace(msg, event, outcome)
            try:
                await self.delivery.acknowledge(msg)
            except Exception as exc:
                # Committed: a redelivery is found in processed_events and acknowledged then.
                logger.warning("%s: could not acknowledge %s: %s", name, event.id, describe(exc))
            if settled is not None:
                settled(msg)
        return left

    def _split(self, msgs: Sequence[Msg]) -> tuple[list[Fetched], list[Msg]]:
        batch: list[Fetched] = []
        left: list[Msg] = []
        for msg in msgs:
            try:
                event = parse_event(msg.data)
                # Its last delivery: looked up first, or dead-lettered, by `Delivery.process`.
                past_budget = msg.metadata.num_delivered >= self.delivery.policy.max_deliveries
            except (ValidationError, ValueError):
                left.append(msg)  # dead-lettered, with its reason, by `Delivery.process`
                continue
            if past_budget:
                left.append(msg)
            else:
                batch.append((msg, event))
        return batch, left

    async def _commit(self, batch: list[Fetched]) -> list[Outcome]:
        """One transaction for the batch; returns what became of each message."""
        applied_at = utcnow()
        async with self.delivery.db.sessions() as session, session.begin():
            ids = [event.id for _, event in batch]
            known = set(
                await session.scalars(
                    select(ProcessedEvent.event_id).where(ProcessedEvent.event_id.in_(ids))
                )
            )
            outcomes: list[Outcome] = []
            new: list[Event] = []
            for msg, event in batch:
                if event.id in known:
                    outcomes.append(Outcome.DUPLICATE)
                    continue
                known.add(event.id)  # the same event delivered twice in one batch
                new.append(event)
                session.add(
                    ProcessedEvent(
                        event_id=event.id,
                        event_type=event.type.value,
                        applied_at=applied_at,
                        stream_seq=msg.metadata.sequence.stream,
                    )
                )
                outcomes.append(Outcome.APPLIED)
            await self.handler.apply_all(session, new)
        return outcomes

    def _trace(self, msg: Msg, event: Event, outcome: Outcome) -> None:
        """A CONSUMER span per event in the order's trace, as `Delivery` makes one."""
        traceparent = (msg.headers or {}).get(TRACEPARENT) or event.traceparent
        span: Span = tracer().start_span(
            f"{self.delivery.name} process {event.type.value}",
            context=context_from_traceparent(traceparent),
            kind=SpanKind.CONSUMER,
            attributes={
                "messaging.system": "nats",
                "messaging.consumer.group.name": self.delivery.name,
                "messaging.destination.name": msg.subject,
                "messaging.message.id": event.id,
                ORDER_ID_ATTRIBUTE: event.data.order_id,
                "orders.consumer.outcome": outcome.value,
                "orders.consumer.batch_commit": True,
            },
        )
        span.end()
