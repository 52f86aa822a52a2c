"""What every consumer process is configured with; each consumer subclasses it with its prefix."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from orders.bus import MAX_DELIVER
from servicekit.settings import ServiceSettings

SIX_HOURS = 6 * 3600.0


@dataclass(frozen=True)
class RetryPolicy:
    """How long an event is retried, and how far apart.

    A *message* failure (bad data, a bug) is retried `max_attempts` deliveries, then
    dead-lettered. A *dependency* failure (SMTP or the database down) is retried for as long as
    the event is younger than `max_retry_seconds` (or tried fewer than `max_attempts` times),
    then dead-lettered; the circuit breaker keeps a long outage from spending deliveries. Either
    waits base · 2^(n-1), capped, between deliveries. `max_deliveries` is the server's own cap
    (`MAX_DELIVER`): the last delivery it makes is dead-lettered whatever happens, so nothing is
    stuck unacknowledged.
    """

    max_attempts: int = 5
    base_seconds: float = 1.0
    cap_seconds: float = 300.0
    max_retry_seconds: float = SIX_HOURS
    max_deliveries: int = MAX_DELIVER

    def retries(self, delivery: int) -> bool:
        """Whether a message failure on `delivery` (1-based) is tried again."""
        return delivery < min(self.max_attempts, self.max_deliveries)

    def retries_dependency(self, delivery: int, age_seconds: float) -> bool:
        """Whether a dependency failure on `delivery` of an event `age_seconds` old is retried:
        until it is older than the budget and was tried `max_attempts` times (an event that
        waited out a long backlog still gets its tries), never past the server's last delivery."""
        if delivery >= self.max_deliveries:
            return False
        return age_seconds < self.max_retry_seconds or delivery < self.max_attempts

    def delay(self, delivery: int) -> float:
        """Seconds before the next delivery after failed `delivery` n: base * 2**(n-1), capped."""
        exponent = min(max(delivery, 1) - 1, 60)
        return float(min(self.base_seconds * 2**exponent, self.cap_seconds))


class ConsumerSettings(ServiceSettings):
    """Where a consumer serves health, metrics and its read API; its database; its retries.

    Subclasses set `model_config` with their `env_prefix` (e.g. `LOYALTY_`) and give `port` and
    `database_url` their defaults. The NATS URL is the fleet's `ORDERS_NATS_URL`.
    """

    model_config = SettingsConfigDict(extra="ignore")

    max_attempts: int = Field(default=5, ge=1, le=MAX_DELIVER)
    """Deliveries of an event failing on its own (bad data, a bug) before it is dead-lettered."""
    max_retry_seconds: float = Field(default=SIX_HOURS, gt=0)
    """How long an event failing for want of the consumer's dependency is retried (its age)."""
    retry_base_seconds: float = Field(default=1.0, gt=0)
    retry_cap_seconds: float = Field(default=300.0, gt=0)
    breaker_threshold: int = Field(default=5, ge=1)
    """Dependency failures in a row that open the circuit breaker (fetching stops)."""
    probe_base_seconds: float = Field(default=1.0, gt=0)
    probe_cap_seconds: float = Field(default=60.0, gt=0)
    """The health probe's backoff while the breaker is open: base doubling up to cap."""
    batch_size: int = Field(default=10, ge=1, le=1000)
    fetch_timeout_seconds: float = Field(default=1.0, gt=0)
    """How long one fetch waits for messages; also bounds how long a stop waits for the fetch."""
    batch_commit: bool = True
    """Settle a fetched batch's effects and event ids in one transaction (`workers.consumer.batch`;
    one at a time if it fails). Only for a consumer whose whole effect is in its database
    (loyalty, analytics): the notification consumer ignores it, an email cannot roll back.
    On by default: it drains 3.6-5.2x faster with nothing lost (docs/benchmarks.md)."""

    @model_validator(mode="after")
    def _caps_above_bases(self) -> ConsumerSettings:
        if self.retry_cap_seconds < self.retry_base_seconds:
            raise ValueError("retry_cap_seconds must be at least retry_base_seconds")
        if self.probe_cap_seconds < self.probe_base_seconds:
            raise ValueError("probe_cap_seconds must be at least probe_base_seconds")
        return self

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            self.max_attempts,
            self.retry_base_seconds,
            self.retry_cap_seconds,
            self.max_retry_seconds,
        )
