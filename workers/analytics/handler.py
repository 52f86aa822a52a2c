"""Count each order once: its lines per SKU and day, and its outcome.

Counters are upserted the portable way, select `FOR UPDATE` then update or insert, inside the
event's transaction (PostgreSQL locks the row; SQLite's `BEGIN IMMEDIATE` already serialises
writers), in SKU order so that two writers never lock rows in opposite orders.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from orders.events import EventLine, OrderCompleted, OrderFailed
from workers.analytics.models import DailyOutcome, DailySku
from workers.consumer.handler import Event, TransactionalHandler


def utc_day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def settled_at(event: Event) -> datetime:
    if isinstance(event, OrderCompleted):
        return event.data.completed_at
    if isinstance(event, OrderFailed):
        return event.data.failed_at
    return event.data.cancelled_at


def line_revenue(line: EventLine) -> int:
    if line.line_total is not None:
        return line.line_total
    return 0 if line.unit_price is None else line.unit_price * line.quantity


class AnalyticsHandler(TransactionalHandler):
    async def apply(self, session: AsyncSession, event: Event) -> None:
        day = utc_day(settled_at(event))
        if isinstance(event, OrderCompleted):
            await self._add_lines(session, day, event)
        await self._count_outcome(session, day, event.type.kind)

    async def _add_lines(self, session: AsyncSession, day: date, event: OrderCompleted) -> None:
        figures: defaultdict[str, list[int]] = defaultdict(lambda: [0, 0])
        for line in event.data.lines:
            figures[line.sku][0] += line.quantity
            figures[line.sku][1] += line_revenue(line)
        currency = event.data.currency
        for sku in sorted(figures):
            units, revenue = figures[sku]
            row = await session.scalar(
                select(DailySku)
                .where(DailySku.day == day, DailySku.sku == sku, DailySku.currency == currency)
                .with_for_update()
            )
            if row is None:
                session.add(
                    DailySku(day=day, sku=sku, currency=currency, units=units, revenue=revenue)
                )
            else:
                row.units += units
                row.revenue += revenue

    async def _count_outcome(self, session: AsyncSession, day: date, outcome: str) -> None:
        row = await session.scalar(
            select(DailyOutcome)
            .where(DailyOutcome.day == day, DailyOutcome.outcome == outcome)
            .with_for_update()
        )
        if row is None:
            session.add(DailyOutcome(day=day, outcome=outcome, orders=1))
        else:
            row.orders += 1
