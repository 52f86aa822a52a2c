"""Publishing the order's closing fact to JetStream, exactly once as far as the stream is concerned.

The event id is the `Nats-Msg-Id`, so a publish retried after a lost acknowledgement is
deduplicated by the stream, and its duplicate acknowledgement counts as success. While NATS is
down, the stream is missing (not provisioned yet) or full (it refuses new messages at its
`max_bytes`), every attempt fails and Temporal retries it: an order's event is late, never lost.
The worker never creates or changes the stream (`orders bus provision` does).

The workflow cannot know the trace (it must stay deterministic), so the event it builds carries a
stand-in `traceparent`; the publish replaces it with its own PRODUCER span's, in the JSON and in
the NATS `traceparent` header, and each consumer's handling becomes a child of that span.
"""

from __future__ import annotations

import asyncio
import logging

import nats.errors
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.errors import APIError, NoStreamResponseError
from opentelemetry.trace import SpanKind
from temporalio import activity

from orders.bus import MSG_ID, STREAM, connect_nats
from orders.errors import ParticipantUnavailable
from orders.events import event_subject
from orders.models import PublishEventInput, PublishResult
from orders.telemetry import ORDER_ID_ATTRIBUTE, TRACEPARENT, current_traceparent, tracer
from orders.temporal import ActivityName
from orders.topology import PROVISION, TopologyMissing, check_stream

log = logging.getLogger("orders.events")
PUBLISH_TIMEOUT_SECONDS = 5.0


class EventActivities:
    """Holds one NATS connection, made on first use so the worker starts while NATS is down."""

    def __init__(self, nats_url: str) -> None:
        self._url = nats_url
        self._nc: NATS | None = None
        self._js: JetStreamContext | None = None
        self._lock = asyncio.Lock()

    async def _jetstream(self) -> JetStreamContext:
        async with self._lock:
            if self._js is None:
                try:
                    self._nc = await connect_nats(self._url, name="orders-worker")
                    js = self._nc.jetstream()
                    await check_stream(js, STREAM, "orders-worker")
                except TopologyMissing as exc:
                    await self.close()
                    log.error("NATS at %s: %s", self._url, exc)
                    raise ParticipantUnavailable(f"NATS at {self._url}: {exc}") from None
                except (OSError, nats.errors.Error) as exc:
                    await self.close()
                    raise ParticipantUnavailable(
                        f"NATS unreachable at {self._url}: {exc}"
                    ) from None
                self._js = js
            return self._js

    async def close(self) -> None:
        if self._nc is not None and not self._nc.is_closed:
            await self._nc.close()
        self._nc, self._js = None, None

    @activity.defn(name=ActivityName.PUBLISH_EVENT)
    async def publish(self, request: PublishEventInput) -> PublishResult:
        event = request.event
        js = await self._jetstream()
        subject = event_subject(event.type, event.subject)
        attributes = {
            "messaging.system": "nats",
            "messaging.destination.name": subject,
            "messaging.message.id": event.id,
            ORDER_ID_ATTRIBUTE: event.subject,
        }
        with tracer().start_as_current_span(
            f"publish {event.type.value}", kind=SpanKind.PRODUCER, attributes=attributes
        ):
            # Same id, so the stream still deduplicates a retry; the first publish's trace wins.
            traceparent = current_traceparent() or event.traceparent
            event = event.model_copy(update={"traceparent": traceparent})
            try:
                ack = await js.publish(
                    subject,
                    event.model_dump_json().encode(),
                    timeout=PUBLISH_TIMEOUT_SECONDS,
                    stream=STREAM,
                    headers={MSG_ID: event.id, TRACEPARENT: traceparent},
                )
            except (NoStreamResponseError, nats.errors.NoRespondersError):
                # No stream takes the subject: ORDER_EVENTS was deleted since we looked it up.
                await self.close()
                raise ParticipantUnavailable(
                    f"publish of {event.id}: no stream takes {subject}; provision the bus "
                    f"with `{PROVISION}`"
                ) from None
            except APIError as exc:
                if not is_full(exc):
                    raise ParticipantUnavailable(f"publish of {event.id} failed: {exc!r}") from None
                log.error(
                    "order %s: stream %s is full (%s): publish of %s refused; retrying until "
                    "there is room (docs/choreography.md)",
                    event.subject,
                    STREAM,
                    exc.description,
                    event.id,
                )
                raise ParticipantUnavailable(
                    f"stream {STREAM} is full ({exc.description}): publish of {event.id} refused"
                ) from None
            except nats.errors.Error as exc:
                raise ParticipantUnavailable(f"publish of {event.id} failed: {exc!r}") from None
        log.info("order %s: published %s as seq %s", event.subject, event.type, ack.seq)
        return PublishResult(event_id=event.id, stream_seq=ack.seq, duplicate=bool(ack.duplicate))


def is_full(exc: APIError) -> bool:
    """A stream at a limit with `discard=new` refuses a publish: "maximum bytes exceeded"."""
    description = (exc.description or "").lower()
    return "maximum" in description and "exceeded" in description
