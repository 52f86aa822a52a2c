"""Count each order once: its lines per SKU and day, and its outcome.

Counters are upserted with `INSERT ... ON CONFLICT DO UPDATE` inside the event's transaction,
so two replicas counting the first order of a day never both insert the row (PostgreSQL and
SQLite spell it alike), in SKU order so that two writers never lock rows in opposite orders.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

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
            key = {"day": day, "sku": sku, "currency": currency}
            await _add(session, DailySku, key, units=units, revenue=revenue)

    async def _count_outcome(self, session: AsyncSession, day: date, outcome: str) -> None:
        await _add(session, DailyOutcome, {"day": day, "outcome": outcome}, orders=1)


async def _add(
    session: AsyncSession, model: type[DailySku | DailyOutcome], key: dict[str, Any], **amounts: int
) -> None:
    """Insert the row `key` with `amounts`, or add `amounts` to the row that is there."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(model).values(**key, **amounts)
    columns: dict[str, InstrumentedAttribute[int]] = {
        name: getattr(model, name) for name in amounts
    }
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=list(key),
            set_={name: column + statement.excluded[name] for name, column in columns.items()},
        )
    )
