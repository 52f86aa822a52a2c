"""The consumers' read routes need the service token; health, readiness and metrics stay open for
probes and Prometheus. The apps are called without their lifespan: the token is checked first."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from servicekit.auth import ServiceTokenMissing
from workers.analytics.app import create_app as analytics_app
from workers.analytics.settings import AnalyticsSettings
from workers.loyalty.app import create_app as loyalty_app
from workers.loyalty.settings import LoyaltySettings
from workers.notification.app import create_app as notification_app
from workers.notification.settings import NotificationSettings

APPS: dict[str, Callable[[], FastAPI]] = {
    "notification": lambda: notification_app(NotificationSettings(), nats_url="nats://nowhere"),
    "loyalty": lambda: loyalty_app(LoyaltySettings(), nats_url="nats://nowhere"),
    "analytics": lambda: analytics_app(AnalyticsSettings(), nats_url="nats://nowhere"),
}
OPEN = {"/healthz", "/readyz", "/metrics"}


@pytest.mark.parametrize("name", sorted(APPS))
async def test_read_routes_refuse_callers_without_the_token(name: str) -> None:
    app = APPS[name]()
    paths: dict[str, Any] = app.openapi()["paths"]
    reads = sorted(set(paths) - OPEN)
    assert "/events" in reads and len(reads) >= 2
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://consumer"
    ) as http:
        for path in reads:
            url = path.replace("{", "").replace("}", "")
            for headers in ({}, {"Authorization": "Bearer not-the-token"}):
                response = await http.get(url, headers=headers)
                assert response.status_code == 401, (path, response.text)
                assert response.json()["code"] == "unauthorized"


def test_a_consumer_without_a_token_refuses_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ORDERS_SERVICE_TOKEN")
    with pytest.raises(ServiceTokenMissing, match="loyalty consumer"):
        APPS["loyalty"]()
