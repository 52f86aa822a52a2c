"""Notification tables: one row per email sent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from servicekit.db import UtcDateTime


class Base(DeclarativeBase):
    pass


class Notification(Base):
    __tablename__ = "notifications"

    event_id: Mapped[str] = mapped_column(String(300), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    """`completed`, `failed` or `cancelled`."""
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    message_id: Mapped[str] = mapped_column(String(200))
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
