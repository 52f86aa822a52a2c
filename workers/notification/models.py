"""Notification tables: one row per email sent, and the intent recorded before each send."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
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


class SendIntent(Base):
    """An email about to be sent, committed before the send: `sent_at` is set once the mail
    server accepted it, so a redelivered event skips the send and only records it."""

    __tablename__ = "send_intents"

    event_id: Mapped[str] = mapped_column(String(300), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(200))
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    """Sends started: more than one means an earlier one may have reached the server."""
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
