"""Settings every service and consumer has; each subclasses this with its env prefix."""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Where a service listens and where its database lives.

    Subclasses set `model_config` with their `env_prefix` (e.g. `INVENTORY_`) and give
    `database_url` and `port` their service's defaults.
    """

    model_config = SettingsConfigDict(extra="ignore")

    database_url: str = "sqlite+aiosqlite:///.data/service.db"
    host: str = "127.0.0.1"
    port: int = Field(default=8100, ge=0, le=65535)
    enable_admin: bool = False
    """Mount `/admin/*` (fault injection, stock levels): only where tests are the point (the
    local stack and the test suites turn it on)."""
    service_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("service_token", "ORDERS_SERVICE_TOKEN")
    )
    """The fleet's one service token (`ORDERS_SERVICE_TOKEN`), whatever the service's prefix."""
    allow_no_service_token: bool = Field(
        default=False,
        validation_alias=AliasChoices("allow_no_service_token", "ORDERS_ALLOW_NO_SERVICE_TOKEN"),
    )
    """Serve without a token: only on a network where every caller is trusted."""
    log_level: Literal["debug", "info", "warning", "error"] = "info"
