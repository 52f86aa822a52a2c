"""The shipping app."""

from __future__ import annotations

from fastapi import FastAPI

from servicekit.participant import build_participant_app
from services.shipping import routes
from services.shipping.models import Base
from services.shipping.settings import ShippingSettings, get_settings


def create_app(settings: ShippingSettings | None = None) -> FastAPI:
    return build_participant_app(
        name="shipping",
        settings=settings or get_settings(),
        metadata=Base.metadata,
        routers=[routes.router],
    )
