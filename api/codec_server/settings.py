"""The codec server's settings, from the environment (prefix `ORDERS_CODEC_SERVER_`).

The payload keys themselves are `orders.encryption`'s (`ORDERS_CODEC_KEYS`, ...).
"""

from __future__ import annotations

import ipaddress
from typing import Annotated

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

Origins = Annotated[list[str], NoDecode]


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class CodecServerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ORDERS_CODEC_SERVER_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=8089, gt=0, lt=65536)
    token: SecretStr | None = None
    """Callers send `Authorization: Bearer <token>` (`temporal ... --codec-auth`)."""
    cors_origins: Origins = []
    """Web UI origins a browser may call from (comma-separated); they still need the token."""
    trusted_origins: Origins = []
    """Dev only: browser origins let in WITHOUT the token, because the dev server's Web UI cannot
    send one. An `Origin` header is only as honest as the caller, so this needs a loopback host."""
    namespaces: Origins = ["default"]
    """The Temporal namespaces whose payloads this server decodes (`X-Namespace`)."""

    @model_validator(mode="before")
    @classmethod
    def _split(cls, values: dict[str, object]) -> dict[str, object]:
        for name in ("cors_origins", "trusted_origins", "namespaces"):
            value = values.get(name)
            if isinstance(value, str):
                values[name] = [part.strip() for part in value.split(",") if part.strip()]
        return values

    @model_validator(mode="after")
    def _safe(self) -> CodecServerSettings:
        if self.token is None and not self.trusted_origins:
            raise ValueError(
                "the codec server decrypts for whoever calls it: set ORDERS_CODEC_SERVER_TOKEN"
            )
        if self.trusted_origins and not _loopback(self.host):
            raise ValueError(
                "ORDERS_CODEC_SERVER_TRUSTED_ORIGINS lets callers in by a header anyone can send: "
                f"only on a loopback host, not {self.host!r}"
            )
        return self

    @property
    def allowed_origins(self) -> list[str]:
        return sorted({*self.cors_origins, *self.trusted_origins})
