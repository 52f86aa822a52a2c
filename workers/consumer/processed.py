"""`processed_events`: the ids of the events a consumer has applied, one row per event.

Written in the same transaction as the effect, so "applied" and "recorded as applied" never
disagree; a redelivered event whose id is here is acknowledged without effect.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from servicekit.db import UtcDateTime


class ProcessedBase(DeclarativeBase):
    pass


class ProcessedEvent(ProcessedBase):
    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(300), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(100))
    applied_at: Mapped[datetime] = mapped_column(UtcDateTime)
    stream_seq: Mapped[int] = mapped_column(BigInteger)
    """The ORDER_EVENTS sequence of the message that applied it (replays have their own)."""


async def is_processed(session: AsyncSession, event_id: str) -> bool:
    return await session.get(ProcessedEvent, event_id) is not None
