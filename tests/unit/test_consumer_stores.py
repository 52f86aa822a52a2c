"""The consumers' stores on each backend, as competing replicas write them at the same time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from orders.events import OrderCompleted
from servicekit.clock import utcnow
from servicekit.db import Database
from tests.databases import Databases
from tests.sample_events import completed_event, new_order_id
from workers.analytics.handler import AnalyticsHandler
from workers.analytics.models import Base as AnalyticsBase
from workers.analytics.models import DailyOutcome, DailySku
from workers.consumer.processed import ProcessedBase, ProcessedEvent

DAY = date(2025, 3, 14)  # the UTC day of the sample events


@pytest.fixture
async def analytics_db(databases: Databases) -> AsyncIterator[Database]:
    db = Database(await databases.url("analytics"))
    await db.create_all([AnalyticsBase.metadata, ProcessedBase.metadata])
    try:
        yield db
    finally:
        await db.dispose()


async def test_replicas_counting_the_first_orders_of_a_day_lose_none(
    analytics_db: Database,
) -> None:
    handler = AnalyticsHandler()
    events = [completed_event(new_order_id("count")) for _ in range(12)]

    async def apply(event: OrderCompleted) -> None:
        async with analytics_db.sessions() as session, session.begin():
            await handler.apply(session, event)

    # Each in its own transaction, all at once: the rows for the day do not exist yet.
    await asyncio.gather(*(apply(event) for event in events))

    async with analytics_db.readers() as session:
        skus = {row.sku: row for row in await session.scalars(select(DailySku))}
        outcome = await session.get(DailyOutcome, (DAY, "completed"))
    assert skus["WIDGET-1"].units == 2 * 12
    assert skus["WIDGET-1"].revenue == 5000 * 12
    assert skus["GADGET-2"].units == 12
    assert outcome is not None and outcome.orders == 12


async def test_one_event_id_is_recorded_once_even_by_concurrent_writers(
    analytics_db: Database,
) -> None:
    event = completed_event(new_order_id("twice"))

    async def record() -> None:
        async with analytics_db.sessions() as session, session.begin():
            session.add(
                ProcessedEvent(
                    event_id=event.id,
                    event_type=event.type.value,
                    applied_at=utcnow(),
                    stream_seq=1,
                )
            )

    results = await asyncio.gather(record(), record(), return_exceptions=True)

    failures = [result for result in results if result is not None]
    assert len(failures) == 1
    assert isinstance(failures[0], IntegrityError)
