"""Inventory settings, from `INVENTORY_*` environment variables."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class InventorySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INVENTORY_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///.data/inventory.db"
    port: int = Field(default=8101, ge=0, le=65535)


@lru_cache
def get_settings() -> InventorySettings:
    return InventorySettings()
