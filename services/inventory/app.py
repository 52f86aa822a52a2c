"""The inventory app."""

from __future__ import annotations

from fastapi import FastAPI

from servicekit.participant import build_participant_app
from services.inventory import admin, routes
from services.inventory.catalog import seed_catalog
from services.inventory.models import Base
from services.inventory.settings import InventorySettings, get_settings


def create_app(settings: InventorySettings | None = None) -> FastAPI:
    return build_participant_app(
        name="inventory",
        settings=settings or get_settings(),
        metadata=Base.metadata,
        routers=[routes.router],
        admin_routers=[admin.router],
        on_startup=seed_catalog,
    )
