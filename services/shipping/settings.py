"""Shipping settings, from `SHIPPING_*` environment variables."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class ShippingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SHIPPING_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///.data/shipping.db"
    port: int = Field(default=8103, ge=0, le=65535)


@lru_cache
def get_settings() -> ShippingSettings:
    return ShippingSettings()
