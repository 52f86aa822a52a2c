"""Demo orders, one per way an order can end: pure functions from a scenario to a request body.

Each body is valid as far as the API can tell; the participant services are what make it fail:
`RARE-9` is never in stock, `tok_chargeDeclined` is always declined, shipping does not serve
`AQ`. `slow` is a happy order: what makes it slow is a fault set on the shipping service.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

DEFAULT_CUSTOMER = "cust-cli"


class Scenario(StrEnum):
    HAPPY = "happy"
    OUT_OF_STOCK = "out-of-stock"
    DECLINED = "declined"
    UNDELIVERABLE = "undeliverable"
    SLOW = "slow"


HAPPY_ITEMS: list[dict[str, Any]] = [
    {"sku": "WIDGET-1", "quantity": 2},
    {"sku": "GADGET-2", "quantity": 1},
]
OUT_OF_STOCK_ITEMS: list[dict[str, Any]] = [
    {"sku": "WIDGET-1", "quantity": 1},
    {"sku": "RARE-9", "quantity": 1},
]
US_ADDRESS: dict[str, Any] = {
    "name": "Grace Hopper",
    "line1": "1 Navy Way",
    "city": "Arlington",
    "postal_code": "22202",
    "country": "US",
}
ANTARCTIC_ADDRESS: dict[str, Any] = {
    "name": "Station Manager",
    "line1": "McMurdo Station",
    "line2": "Ross Island",
    "city": "McMurdo",
    "postal_code": "96599",
    "country": "AQ",
}
GOOD_TOKEN = "tok_visa"
DECLINED_TOKEN = "tok_chargeDeclined"


def order_body(scenario: Scenario, customer_id: str = DEFAULT_CUSTOMER) -> dict[str, Any]:
    """A `POST /orders` body for `scenario`, without `order_id`: the API makes one up."""
    items = OUT_OF_STOCK_ITEMS if scenario is Scenario.OUT_OF_STOCK else HAPPY_ITEMS
    token = DECLINED_TOKEN if scenario is Scenario.DECLINED else GOOD_TOKEN
    address = ANTARCTIC_ADDRESS if scenario is Scenario.UNDELIVERABLE else US_ADDRESS
    return {
        "customer_id": customer_id,
        "currency": "USD",
        "items": [dict(item) for item in items],
        "payment_token": token,
        "shipping_address": dict(address),
    }
