"""Settings every participant service has; each service subclasses this with its env prefix."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
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
    enable_admin: bool = True
    """Mount `/admin/*` (fault injection, stock levels). Turn off where tests are not the point."""
    log_level: Literal["debug", "info", "warning", "error"] = "info"
