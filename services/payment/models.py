"""Payment tables: charges."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from servicekit.db import UtcDateTime, enum_column


class Base(DeclarativeBase):
    pass


class ChargeStatus(StrEnum):
    CAPTURED = "captured"
    REFUNDED = "refunded"


class Charge(Base):
    __tablename__ = "charges"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(200), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[ChargeStatus] = mapped_column(enum_column(ChargeStatus))
    # The card brand the test token stands for; the token itself is never stored.
    brand: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    refunded_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
