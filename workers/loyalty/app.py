"""The loyalty consumer's app."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from workers.consumer.app import build_consumer_app
from workers.consumer.handler import Handler
from workers.loyalty import routes
from workers.loyalty.handler import LoyaltyHandler
from workers.loyalty.models import Base
from workers.loyalty.settings import LoyaltySettings, get_settings

NAME = "loyalty"


def create_app(
    settings: LoyaltySettings | None = None,
    *,
    nats_url: str | None = None,
    handler: Handler[Any] | None = None,
) -> FastAPI:
    return build_consumer_app(
        name=NAME,
        settings=settings or get_settings(),
        nats_url=nats_url,
        handler=handler or LoyaltyHandler(),
        metadata=Base.metadata,
        routers=[routes.router],
    )
