"""What every consumer process is configured with; each consumer subclasses it with its prefix."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from orders.bus import MAX_DELIVER
from servicekit.settings import ServiceSettings


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries with capped exponential backoff, counted in JetStream deliveries."""

    max_attempts: int = 5
    base_seconds: float = 1.0
    cap_seconds: float = 60.0

    def retries(self, delivery: int) -> bool:
        """Whether a failed `delivery` (1-based) is tried again rather than dead-lettered."""
        return delivery < self.max_attempts

    def delay(self, delivery: int) -> float:
        """Seconds before the next delivery after failed `delivery` n: base * 2**(n-1), capped."""
        return float(min(self.base_seconds * 2 ** (max(delivery, 1) - 1), self.cap_seconds))


class ConsumerSettings(ServiceSettings):
    """Where a consumer serves health, metrics and its read API; its database; its retries.

    Subclasses set `model_config` with their `env_prefix` (e.g. `LOYALTY_`) and give `port` and
    `database_url` their defaults. The NATS URL is the fleet's `ORDERS_NATS_URL`.
    """

    model_config = SettingsConfigDict(extra="ignore")

    max_attempts: int = Field(default=5, ge=1, le=MAX_DELIVER)
    """Deliveries of a failing event before it is dead-lettered (at most the server's limit)."""
    retry_base_seconds: float = Field(default=1.0, gt=0)
    retry_cap_seconds: float = Field(default=60.0, gt=0)
    batch_size: int = Field(default=10, ge=1, le=1000)
    fetch_timeout_seconds: float = Field(default=1.0, gt=0)
    """How long one fetch waits for messages; also bounds how long a stop waits for the fetch."""
    batch_commit: bool = True
    """Settle a fetched batch's effects and event ids in one transaction (`workers.consumer.batch`;
    one at a time if it fails). Only for a consumer whose whole effect is in its database
    (loyalty, analytics): the notification consumer ignores it, an email cannot roll back.
    On by default: it drains 3.6-5.2x faster with nothing lost (docs/benchmarks.md)."""

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(self.max_attempts, self.retry_base_seconds, self.retry_cap_seconds)
