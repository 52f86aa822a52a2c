"""The payment app."""

from __future__ import annotations

from fastapi import FastAPI

from servicekit.participant import build_participant_app
from services.payment import routes
from services.payment.models import Base
from services.payment.settings import PaymentSettings, get_settings


def create_app(settings: PaymentSettings | None = None) -> FastAPI:
    return build_participant_app(
        name="payment",
        settings=settings or get_settings(),
        metadata=Base.metadata,
        routers=[routes.router],
    )
