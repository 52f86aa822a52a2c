"""The composition root of a consumer process: its database, the consumer, its HTTP app.

Each consumer is described once (`ConsumerApp`: its name, settings, handler, tables and read
routes); its `create_app` builds the process from that description.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from fastapi import APIRouter, FastAPI
from sqlalchemy import MetaData

from orders.settings import get_settings as get_orders_settings
from servicekit.app import build_app
from servicekit.db import Database
from workers.consumer import ops
from workers.consumer.handler import Handler
from workers.consumer.processed import ProcessedBase
from workers.consumer.settings import ConsumerSettings
from workers.consumer.supervisor import Consumer

logger = logging.getLogger(__name__)

SettingsT = TypeVar("SettingsT", bound=ConsumerSettings)


@dataclass(frozen=True)
class ConsumerApp(Generic[SettingsT]):
    """One side-effect consumer: what its process is built from."""

    name: str
    """The durable consumer's name, also its logs', metrics' and app's."""
    settings: Callable[[], SettingsT]
    """The settings a process reads from its environment (`LOYALTY_*`, ...)."""
    handler: Callable[[SettingsT], Handler[Any]]
    """What it does with an event, built from its settings."""
    tables: MetaData
    """The tables of its effects; `processed_events` is added to them."""
    routers: Sequence[APIRouter]
    """Its read routes, behind the service token."""

    def create_app(
        self,
        settings: SettingsT | None = None,
        *,
        nats_url: str | None = None,
        handler: Handler[Any] | None = None,
    ) -> FastAPI:
        """The consumer's app; tests pass their own settings, bus, or a stand-in handler."""
        settings = settings or self.settings()
        return build_consumer_app(
            name=self.name,
            settings=settings,
            handler=handler or self.handler(settings),
            metadata=self.tables,
            routers=self.routers,
            nats_url=nats_url,
        )


def build_consumer_app(
    *,
    name: str,
    settings: ConsumerSettings,
    handler: Handler[Any],
    metadata: MetaData,
    routers: Sequence[APIRouter],
    nats_url: str | None = None,
) -> FastAPI:
    """An app (`servicekit.app`) whose lifespan runs consumer `name` with `handler`; it serves
    health, metrics and the consumer's read routes. Stopping it finishes the message in hand,
    then drains NATS.

    The read routes need the service token: they hold customers' data. `/healthz` and `/metrics`
    stay open for probes and Prometheus: they carry counts and states, no order or customer.
    """
    label = f"{name} consumer"
    # Where the bus is: the fleet's setting (`ORDERS_NATS_URL`), the same for every consumer and
    # the worker; `nats_url` moves it (tests).
    url = nats_url or get_orders_settings().nats_url

    @asynccontextmanager
    async def consuming(app: FastAPI, db: Database) -> AsyncIterator[None]:
        consumer = Consumer(name, url, db, handler, settings)
        app.state.consumer = consumer
        consumer.start()
        logger.info("%s started (database %s)", label, db.display_url)
        try:
            yield
        finally:
            await consumer.stop()

    return build_app(
        name=name,
        label=label,
        title=f"hybrid-orders {label}",
        settings=settings,
        tables=[metadata, ProcessedBase.metadata],
        lifetime=consuming,
        probes=[ops.router],
        routers=[ops.reads, *routers],
        # Its read API only: a consumer's handling of an event is traced by `Delivery`.
        untraced="healthz,readyz,metrics",
    )
