"""Analytics settings, from `ANALYTICS_*` environment variables."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from workers.consumer.settings import ConsumerSettings


class AnalyticsSettings(ConsumerSettings):
    model_config = SettingsConfigDict(env_prefix="ANALYTICS_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///.data/analytics.db"
    port: int = Field(default=8203, ge=0, le=65535)


@lru_cache
def get_settings() -> AnalyticsSettings:
    return AnalyticsSettings()
