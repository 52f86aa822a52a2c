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
    max_concurrent_workflow_tasks: int = Field(default=100, ge=2)
    """Workflow task slots of the worker; at least 2 while workflows are cached."""
    max_concurrent_local_activities: int = Field(default=100, gt=0)
    workflow_task_pollers: int = Field(default=5, ge=2)
    """Concurrent long polls for workflow tasks (sticky and normal queues share them)."""
    activity_task_pollers: int = Field(default=5, gt=0)
    max_cached_workflows: int = Field(default=1000, ge=0)
    """Workflows kept in memory between tasks; 0 replays the whole history on every task."""
    eager_activities: bool = True
    """Let a workflow task's completion carry its next activity back to this worker."""
    sandbox_passthrough: bool = False
    """Pass the sandbox the project's contracts and pydantic wholesale, not only what the workflow
    module passes through itself; measured no gain (docs/benchmarks.md), so off."""
    local_activities: bool = False
    """New orders run their participant calls as local activities (see docs/benchmarks.md)."""
    http_max_connections: int = Field(default=100, gt=0)
    """Pooled connections to each participant service."""
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
    """Copies of each stream `orders bus provision` makes: 3 on a three-node cluster."""
    events_max_bytes: int = Field(default=1024**3, ge=1024)
    """Size limit of stream ORDER_EVENTS (`orders bus provision`); when full, publishes are
    refused and retried (docs/choreography.md)."""
    dlq_max_bytes: int = Field(default=256 * 1024**2, ge=1024)
    """Size limit of stream ORDER_EVENTS_DLQ (`orders bus provision`)."""
    service_token: SecretStr | None = None
    """The bearer token the activities send to the participants (`ORDERS_SERVICE_TOKEN`)."""


@lru_cache
def get_settings() -> Settings:
    return Settings()
