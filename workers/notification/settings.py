"""Notification settings, from `NOTIFICATION_*` environment variables."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from workers.consumer.settings import ConsumerSettings


class NotificationSettings(ConsumerSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATION_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///.data/notification.db"
    port: int = Field(default=8201, ge=0, le=65535)
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=1025, ge=1, le=65535)
    smtp_timeout_seconds: float = Field(default=10.0, gt=0)
    mail_from: str = "orders@hybrid-orders.example"
    send_lease_seconds: float = Field(default=60.0, gt=0)
    """How long a started send holds its event against another replica's send of it: longer than
    a send can take (a few SMTP steps, each up to the timeout)."""


@lru_cache
def get_settings() -> NotificationSettings:
    return NotificationSettings()
