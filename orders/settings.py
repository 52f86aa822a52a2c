"""Settings of the orchestrator side, read from the environment (prefix `ORDERS_`).

The Temporal connection itself (address, namespace, TLS, API key) is not here: it comes from
Temporal's own environment configuration (`TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`,
`TEMPORAL_API_KEY`, `TEMPORAL_PROFILE`, a `temporal.toml`), see `orders.temporal.connect`.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ORDERS_", extra="ignore")

    task_queue: str = "orders"
    inventory_url: str = "http://127.0.0.1:8101"
    payment_url: str = "http://127.0.0.1:8102"
    shipping_url: str = "http://127.0.0.1:8103"
    http_timeout_seconds: float = Field(default=10.0, gt=0)
    """Timeout of one participant call; an attempt's start-to-close timeout is longer."""
    max_concurrent_activities: int = Field(default=100, gt=0)
    temporal_ui_url: str = "http://localhost:8233"
    """Where people open the Temporal Web UI; the API links each order there."""
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    api_max_wait_seconds: float = Field(default=60.0, gt=0)
    """The longest `POST /orders?wait=` may hold a request open."""
    api_max_body_bytes: int = Field(default=64 * 1024, gt=0)
    """A request body over this many bytes is refused with 413 before it is parsed."""
    temporal_connect_timeout_seconds: float = Field(default=5.0, gt=0)
    worker_metrics_address: str | None = None
    """`host:port` where the worker serves the Temporal SDK's Prometheus metrics (`/metrics`);
    unset, it serves none. `orders dev` sets it."""
    nats_url: str = "nats://127.0.0.1:4222"
    """One server, or the nodes of a cluster comma-separated."""
    nats_replicas: int = Field(default=1, ge=1, le=5)
    """Copies of each stream the worker and the consumers provision: 3 on a three-node cluster."""
    service_token: SecretStr | None = None
    """The bearer token the activities send to the participants (`ORDERS_SERVICE_TOKEN`)."""


@lru_cache
def get_settings() -> Settings:
    return Settings()
