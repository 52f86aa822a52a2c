"""Inventory tables: products (the catalog with stock), reservations and their lines."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from servicekit.db import UtcDateTime, enum_column


class Base(DeclarativeBase):
    pass


class ReservationStatus(StrEnum):
    RESERVED = "reserved"
    RELEASED = "released"


class Product(Base):
    __tablename__ = "products"

    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    unit_price: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    stock: Mapped[int]


class Reservation(Base):
    __tablename__ = "reservations"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(200), index=True)
    status: Mapped[ReservationStatus] = mapped_column(enum_column(ReservationStatus))
    total: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    # Loaded with the reservation: async sessions cannot lazy-load on attribute access.
    lines: Mapped[list[ReservationLine]] = relationship(
        lazy="selectin", order_by="ReservationLine.sku", cascade="all, delete-orphan"
    )


class ReservationLine(Base):
    __tablename__ = "reservation_lines"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    reservation_id: Mapped[str] = mapped_column(ForeignKey("reservations.id"), index=True)
    sku: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int]
    unit_price: Mapped[int] = mapped_column(BigInteger)
    line_total: Mapped[int] = mapped_column(BigInteger)
