"""Amounts in minor units, as the events carry them, for people and for loyalty points."""

from __future__ import annotations

from orders import models


def minor_per_major(currency: str) -> int:
    """100 for USD, 1 for JPY, 1000 for KWD: from the one table of minor-unit digits."""
    return int(10 ** models.minor_unit_digits(currency))


def whole_units(amount: int, currency: str) -> int:
    """The whole currency units in `amount` (7599 USD cents -> 75)."""
    return amount // minor_per_major(currency)


def format_money(amount: int | None, currency: str) -> str:
    """`1,234.50 USD`; `— USD` for an amount never priced."""
    return f"— {currency}" if amount is None else models.format_money(amount, currency)
