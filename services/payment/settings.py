"""Payment settings, from `PAYMENT_*` environment variables."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class PaymentSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PAYMENT_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///.data/payment.db"
    port: int = Field(default=8102, ge=0, le=65535)


@lru_cache
def get_settings() -> PaymentSettings:
    return PaymentSettings()
