"""SMTP sink settings, from `SMTP_SINK_*` environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class SmtpSinkSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SMTP_SINK_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=1025, ge=0, le=65535)
    maildir: Path = Path(".data/mail")
    log_level: Literal["debug", "info", "warning", "error"] = "info"
