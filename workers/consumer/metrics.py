"""Prometheus metrics of one consumer, in a registry of its own (tests build several apps)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest


class ConsumerMetrics:
    """`orders_consumer_*{consumer="<name>"}`: what happened to each delivered event, lag, and
    whether the circuit breaker is open."""

    def __init__(self, consumer: str) -> None:
        self.consumer = consumer
        self.registry = CollectorRegistry(auto_describe=True)

        def counter(name: str, documentation: str) -> Counter:
            return Counter(name, documentation, ["consumer"], registry=self.registry)

        self.processed = counter(
            "orders_consumer_events_processed", "Events applied: effect and id committed."
        ).labels(consumer)
        self.duplicate = counter(
            "orders_consumer_events_duplicate", "Deliveries of events already applied: no effect."
        ).labels(consumer)
        self.failed = counter(
            "orders_consumer_events_failed", "Transient failures to apply an event (retried)."
        ).labels(consumer)
        self.dead_lettered = counter(
            "orders_consumer_events_dead_lettered", "Events given up on and sent to the DLQ."
        ).labels(consumer)
        self.lag = Gauge(
            "orders_consumer_lag",
            "Messages of the consumer not yet acknowledged: pending plus in flight.",
            ["consumer"],
            registry=self.registry,
        ).labels(consumer)

        self.breaker_open = Gauge(
            "orders_consumer_breaker_open",
            "1 while the circuit breaker is open: the consumer's dependency is down and it "
            "fetches nothing; 0 otherwise.",
            ["consumer"],
            registry=self.registry,
        ).labels(consumer)

    def render(self) -> bytes:
        """The Prometheus text exposition of this registry."""
        return generate_latest(self.registry)
