"""Loyalty settings, from `LOYALTY_*` environment variables."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from workers.consumer.settings import ConsumerSettings


class LoyaltySettings(ConsumerSettings):
    model_config = SettingsConfigDict(env_prefix="LOYALTY_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///.data/loyalty.db"
    port: int = Field(default=8202, ge=0, le=65535)


@lru_cache
def get_settings() -> LoyaltySettings:
    return LoyaltySettings()
