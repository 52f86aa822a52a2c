"""Amounts in minor units, as the events carry them, for people and for loyalty points."""

from __future__ import annotations

from orders.models import to_major_units


def minor_per_major(currency: str) -> int:
    """100 for USD, 1 for JPY, 1000 for KWD: from the one table of minor-unit digits."""
    return round(1 / to_major_units(1, currency))


def whole_units(amount: int, currency: str) -> int:
    """The whole currency units in `amount` (7599 USD cents -> 75)."""
    return amount // minor_per_major(currency)


def format_money(amount: int | None, currency: str) -> str:
    """`1,234.50 USD`, exactly (integer arithmetic, the currency's own number of decimals)."""
    if amount is None:
        return f"— {currency}"
    per = minor_per_major(currency)
    digits = len(str(per)) - 1
    sign = "-" if amount < 0 else ""
    major, minor = divmod(abs(amount), per)
    fraction = f".{minor:0{digits}d}" if digits else ""
    return f"{sign}{major:,}{fraction} {currency}"
