"""Loyalty tables: the points ledger."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from servicekit.db import UtcDateTime


class Base(DeclarativeBase):
    pass


class LedgerEntry(Base):
    __tablename__ = "points_ledger"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(String(200), index=True)
    order_id: Mapped[str] = mapped_column(String(200))
    event_id: Mapped[str] = mapped_column(String(300), unique=True)
    points: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
