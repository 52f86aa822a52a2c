"""The analytics consumer's app."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from workers.analytics import routes
from workers.analytics.handler import AnalyticsHandler
from workers.analytics.models import Base
from workers.analytics.settings import AnalyticsSettings, get_settings
from workers.consumer.app import build_consumer_app
from workers.consumer.handler import Handler

NAME = "analytics"


def create_app(
    settings: AnalyticsSettings | None = None,
    *,
    nats_url: str | None = None,
    handler: Handler[Any] | None = None,
) -> FastAPI:
    return build_consumer_app(
        name=NAME,
        settings=settings or get_settings(),
        nats_url=nats_url,
        handler=handler or AnalyticsHandler(),
        metadata=Base.metadata,
        routers=[routes.router],
    )
