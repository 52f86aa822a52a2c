"""Where we ship, with which carrier, and how long it takes."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from orders.problems import ProblemError

HOME_COUNTRY = "US"

# No carrier serves these: Antarctica, two uninhabited islands, and an embargoed country.
UNDELIVERABLE = frozenset({"AQ", "BV", "HM", "KP"})

# fmt: off
_EUROPE = frozenset({
    "AT", "BE", "BG", "CH", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GB", "GR", "HR",
    "HU", "IE", "IS", "IT", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK",
})
# fmt: on


@dataclass(frozen=True)
class CarrierService:
    carrier: str
    transit_business_days: int
    tracking_prefix: str


DOMESTIC = CarrierService("UPS", 3, "1Z")
EUROPE = CarrierService("DHL Express", 5, "JD")
WORLDWIDE = CarrierService("FedEx International", 8, "FX")


def service_for(country: str) -> CarrierService:
    """The carrier service for a destination; raises 422 `undeliverable` where none serves."""
    if country in UNDELIVERABLE:
        raise ProblemError(
            422, "undeliverable", "Undeliverable", f"We do not ship to {country}.", country=country
        )
    if country == HOME_COUNTRY:
        return DOMESTIC
    return EUROPE if country in _EUROPE else WORLDWIDE


def tracking_number(service: CarrierService) -> str:
    return service.tracking_prefix + secrets.token_hex(8).upper()


def add_business_days(start: date, days: int) -> date:
    """The date `days` working days (Monday to Friday) after `start`."""
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current
