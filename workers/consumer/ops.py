"""`/healthz`, `/readyz`, `/metrics` and `/events?order_id=`, the routes every consumer app serves.

`/healthz` is liveness: the loop runs and is bound (a restart would not help otherwise).
`/readyz` is 503 besides while the circuit breaker is open, with the reason: the consumer is
alive but waits for its dependency, and takes no messages meanwhile.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from orders.events import EventType, event_id
from orders.problems import ProblemError, problem_responses
from servicekit.deps import ReadSessionDep
from workers.consumer.processed import ProcessedEvent
from workers.consumer.supervisor import Consumer

router = APIRouter(tags=["operations"])
reads = APIRouter(tags=["operations"])
"""Routes reading what the consumer applied: the app mounts them behind the service token."""


class Health(BaseModel):
    status: str = "ok"


class AppliedEvent(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    event_id: str
    event_type: str
    applied_at: datetime
    stream_seq: int


async def get_consumer(request: Request) -> Consumer:
    consumer = request.app.state.consumer
    assert isinstance(consumer, Consumer), "the app's lifespan has not run"
    return consumer


ConsumerDep = Annotated[Consumer, Depends(get_consumer)]


@router.get("/healthz", response_model=Health, responses=problem_responses(503))
async def healthz(consumer: ConsumerDep) -> Health:
    """The consumer loop runs, is connected to NATS and bound to its durable consumer."""
    problem = consumer.problem
    if problem is not None:
        raise ProblemError(
            503, "consumer_unavailable", "Consumer unavailable", f"{consumer.name}: {problem}."
        )
    return Health()


@router.get("/readyz", response_model=Health, responses=problem_responses(503))
async def readyz(consumer: ConsumerDep) -> Health:
    """The consumer takes messages: healthy, and its dependency answers (breaker closed)."""
    reason = consumer.unready
    if reason is not None:
        raise ProblemError(
            503, "consumer_not_ready", "Consumer not ready", f"{consumer.name}: {reason}."
        )
    return Health()


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
async def metrics(consumer: ConsumerDep) -> Response:
    """Prometheus metrics: events processed, duplicate, failed, dead-lettered; lag, DLQ depth,
    oldest unacknowledged age, redeliveries, max deliveries; how full the streams are."""
    await consumer.refresh_gauges()
    return Response(consumer.metrics.render(), media_type=CONTENT_TYPE_LATEST)


@reads.get("/events", response_model=list[AppliedEvent])
async def applied_events(order_id: str, session: ReadSessionDep) -> list[AppliedEvent]:
    """The events about one order this consumer has applied: its effects, one per event."""
    ids = [event_id(event_type, order_id) for event_type in EventType]
    query = select(ProcessedEvent).where(ProcessedEvent.event_id.in_(ids))
    return [AppliedEvent.model_validate(row) for row in await session.scalars(query)]
