"""The participant services as the tests see them: their records and their fault switches."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from orders.models import Address, LineItem, OrderInput
from tests.integration.orders import poll
from tests.tokens import SERVICE_HEADERS
from tools.stack.settings import SERVICES

COLLECTIONS = {"inventory": "/reservations", "payment": "/charges", "shipping": "/shipments"}


@dataclass(frozen=True)
class Participants:
    urls: dict[str, str]

    async def _call(self, service: str, method: str, path: str, **kwargs: Any) -> Any:
        async with httpx.AsyncClient(
            base_url=self.urls[service], timeout=10.0, headers=SERVICE_HEADERS
        ) as http:
            response = await http.request(method, path, **kwargs)
            response.raise_for_status()
            return None if response.status_code == 204 else response.json()

    async def records(self, service: str, order_id: str) -> list[dict[str, Any]]:
        """The reservations, charges or shipments the service holds for an order."""
        records: list[dict[str, Any]] = await self._call(
            service, "GET", COLLECTIONS[service], params={"order_id": order_id}
        )
        return records

    async def set_faults(self, service: str, **faults: Any) -> None:
        await self._call(service, "POST", "/admin/faults", json=faults)

    async def hold(self, service: str) -> None:
        """Hold every request to `service` until `release`: a step a test must land inside."""
        await self.set_faults(service, hold=True)

    async def held(self, service: str) -> int:
        """How many requests `service` holds now."""
        report: dict[str, Any] = await self._call(service, "GET", "/admin/faults")
        return int(report["held"])

    async def until_held(self, service: str) -> None:
        """Return once `service` holds a request: the call a test lands inside has reached it."""

        async def holds() -> bool:
            return await self.held(service) >= 1

        await poll(holds, what=f"a call held at {service}")

    async def release(self, service: str) -> None:
        await self.set_faults(service, hold=False)

    async def reset_faults(self) -> None:
        for service in SERVICES:
            await self._call(service, "DELETE", "/admin/faults")


def new_order(**changes: Any) -> OrderInput:
    """A valid order that completes unless `changes` say otherwise (see the seeded catalog)."""
    fields: dict[str, Any] = {
        "order_id": f"t-{uuid.uuid4().hex[:12]}",
        "customer_id": "cust-42",
        "currency": "USD",
        "items": [LineItem(sku="WIDGET-1", quantity=2), LineItem(sku="GADGET-2", quantity=1)],
        "payment_token": "tok_visa",
        "shipping_address": Address(
            name="Ada Lovelace",
            line1="12 St James's Square",
            city="London",
            postal_code="SW1Y 4JH",
            country="GB",
        ),
    }
    fields.update(changes)
    return OrderInput(**fields)


HAPPY_TOTAL = 2 * 1500 + 4500
"""What `new_order()` costs at the seeded catalog prices."""
