"""How the API authenticates and limits callers, from the environment (prefix `ORDERS_`)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class AuthSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ORDERS_", extra="ignore")

    api_keys_file: Path | None = None
    """The JSON key file `orders keys` manages; keys are kept there as digests only."""
    jwt_key: SecretStr | None = None
    """The JWT verification key: a PEM public key (RS256/ES256/EdDSA) or an HMAC secret."""
    jwt_key_file: Path | None = None
    """The same, read from a file (wins over `jwt_key`)."""
    jwt_algorithms: list[str] = Field(default_factory=lambda: ["RS256", "ES256", "EdDSA"])
    """Accepted algorithms; add HS256 explicitly to use a shared secret."""
    jwt_issuer: str | None = None
    jwt_audience: str | None = "hybrid-orders"
    api_rate_limit_per_second: float = Field(default=20.0, gt=0)
    """Requests a second each principal may make, on average, to one API replica."""
    api_rate_limit_burst: int = Field(default=40, ge=1)
    """Requests a principal may make at once after being idle."""

    def jwt_verification_key(self) -> str | None:
        if self.jwt_key_file is not None:
            return self.jwt_key_file.read_text()
        return self.jwt_key.get_secret_value() if self.jwt_key is not None else None


@lru_cache
def get_auth_settings() -> AuthSettings:
    return AuthSettings()
