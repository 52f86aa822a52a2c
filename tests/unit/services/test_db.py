"""The database layer on each backend: URLs, startup races, money and timestamps."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

from servicekit.db import Database, async_url
from servicekit.idempotency import IdempotencyBase
from services.payment.models import Base, Charge, ChargeStatus
from tests.databases import Databases


def test_a_url_without_a_driver_gets_the_async_one() -> None:
    assert async_url("postgresql://u:p@db:5432/x").drivername == "postgresql+asyncpg"
    assert async_url("sqlite:///.data/x.db").drivername == "sqlite+aiosqlite"
    assert async_url("postgresql+psycopg://u@db/x").drivername == "postgresql+psycopg"
    assert async_url("sqlite+aiosqlite:///x.db").drivername == "sqlite+aiosqlite"


async def test_replicas_starting_together_create_the_tables_once(databases: Databases) -> None:
    url = await databases.url("payment")
    replicas = [Database(url) for _ in range(4)]
    try:
        await asyncio.gather(
            *(db.create_all([Base.metadata, IdempotencyBase.metadata]) for db in replicas)
        )
        async with replicas[0].readers() as session:
            assert await session.get(Charge, "none") is None
    finally:
        for db in replicas:
            await db.dispose()


async def test_money_is_64_bit_and_timestamps_come_back_aware_utc(databases: Databases) -> None:
    db = Database(await databases.url("payment"))
    created = datetime(2025, 3, 14, 9, 30, tzinfo=timezone(timedelta(hours=5)))
    try:
        await db.create_all([Base.metadata])
        async with db.sessions() as session, session.begin():
            session.add(
                Charge(
                    id="ch_big",
                    order_id="o-big",
                    amount=12_345_678_901_234,  # far past 32 bits, in cents
                    currency="USD",
                    status=ChargeStatus.CAPTURED,
                    brand="visa",
                    created_at=created,
                )
            )
        async with db.readers() as session:
            charge = await session.get(Charge, "ch_big")
    finally:
        await db.dispose()

    assert charge is not None
    assert charge.amount == 12_345_678_901_234
    assert charge.created_at == created
    assert charge.created_at.tzinfo is not None
    assert charge.created_at.utcoffset() == timedelta(0)
    assert charge.created_at == datetime(2025, 3, 14, 4, 30, tzinfo=UTC)
