"""The one query behind each participant's list route: its records, oldest first, by order, or
the one record a request's `Idempotency-Key` created."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import Query
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.idempotency import MAX_KEY_LENGTH, made_by

R = TypeVar("R")

Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, description="Skip this many, to page through.")]
OrderIdFilter = Annotated[str | None, Query(max_length=200)]
MadeByFilter = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=MAX_KEY_LENGTH,
        description=(
            "Only the record the first request with this `Idempotency-Key` created (none if it "
            "created none): how a compensation finds exactly what its own step did."
        ),
    ),
]


async def list_records(
    session: AsyncSession,
    model: type[R],
    *,
    order_id: str | None,
    idempotency_key: str | None,
    limit: int,
    offset: int,
) -> list[R]:
    """`model`'s rows: a mapped class with `id`, `order_id` and `created_at` columns."""
    columns: Any = model
    query = select(model).order_by(columns.created_at, columns.id).offset(offset).limit(limit)
    if order_id is not None:
        query = query.where(columns.order_id == order_id)
    if idempotency_key is not None:
        record_id = await made_by(session, idempotency_key)
        if record_id is None:
            return []
        query = query.where(columns.id == record_id)
    return list(await session.scalars(query))
