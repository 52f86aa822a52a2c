"""Count each order once: its lines per SKU and day, and its outcome.

Counters are upserted with `INSERT ... ON CONFLICT DO UPDATE` inside the event's transaction,
so two replicas counting the first order of a day never both insert the row (PostgreSQL and
SQLite spell it alike), in key order so that two writers never lock rows in opposite orders. A
batch (`workers.consumer.batch`) is summed per row first: one upsert per row it touches.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
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
        await self.apply_all(session, [event])

    async def apply_all(self, session: AsyncSession, events: Sequence[Event]) -> None:
        """Sum the events' figures per row first: one upsert per row a batch touches, in key
        order, so two replicas' batches never lock rows in opposite orders either."""
        skus: defaultdict[tuple[date, str, str], list[int]] = defaultdict(lambda: [0, 0])
        outcomes: defaultdict[tuple[date, str], int] = defaultdict(int)
        for event in events:
            day = utc_day(settled_at(event))
            if isinstance(event, OrderCompleted):
                for line in event.data.lines:
                    figures = skus[(day, line.sku, event.data.currency)]
                    figures[0] += line.quantity
                    figures[1] += line_revenue(line)
            outcomes[(day, event.type.kind)] += 1
        for (day, sku, currency), (units, revenue) in sorted(skus.items()):
            key = {"day": day, "sku": sku, "currency": currency}
            await _add(session, DailySku, key, units=units, revenue=revenue)
        for (day, outcome), orders in sorted(outcomes.items()):
            await _add(session, DailyOutcome, {"day": day, "outcome": outcome}, orders=orders)


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
