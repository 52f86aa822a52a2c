"""The queries behind a participant's records: one by id (to read, or locked to change), and
the list of an order's, or the one record a request's `Idempotency-Key` created.

A record is a mapped class with `id`, `order_id` and `created_at` columns (a reservation, a
charge, a shipment); its `kind` ("reservation") names it in a 404's problem.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from orders.problems import ProblemError
from servicekit.idempotency import made_by

R = TypeVar("R")


def not_found(kind: str, record_id: str) -> ProblemError:
    """404 `not_found`, e.g. "Reservation not found: No reservation 'res_1'."."""
    return ProblemError(
        404, "not_found", f"{kind.capitalize()} not found", f"No {kind} {record_id!r}."
    )


async def find(session: AsyncSession, table: type[R], record_id: str, kind: str) -> R:
    """The record `record_id`, or a 404 `not_found` problem."""
    record = await session.get(table, record_id)
    if record is None:
        raise not_found(kind, record_id)
    return record


async def lock(session: AsyncSession, table: type[R], record_id: str, kind: str) -> R:
    """The record `record_id`, locked until the transaction ends (`SELECT ... FOR UPDATE` on
    PostgreSQL), so two undos of one record never both apply; or a 404 `not_found` problem."""
    columns: Any = table
    record = await session.scalar(select(table).where(columns.id == record_id).with_for_update())
    if record is None:
        raise not_found(kind, record_id)
    return record


async def list_records(
    session: AsyncSession,
    table: type[R],
    *,
    order_id: str | None,
    idempotency_key: str | None,
    limit: int,
    offset: int,
) -> list[R]:
    """`table`'s records, oldest first: of one order, or the one made by a key's request."""
    columns: Any = table
    query = select(table).order_by(columns.created_at, columns.id).offset(offset).limit(limit)
    if order_id is not None:
        query = query.where(columns.order_id == order_id)
    if idempotency_key is not None:
        record_id = await made_by(session, idempotency_key)
        if record_id is None:
            return []
        query = query.where(columns.id == record_id)
    return list(await session.scalars(query))
