"""The app every FastAPI process of the fleet is built on, a participant's or a consumer's.

It refuses to build without a service token configured (unless running open is intended),
creates the process's tables before the port opens (so an open port means ready), renders every
error as a problem, gives each request a server span, and mounts every route behind the token but
the probes'. What differs is added around it: a participant's idempotency, order context and
faults (`servicekit.participant`), a consumer's loop (`workers.consumer.app`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import APIRouter, FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from sqlalchemy import MetaData

from orders.problems import install_problem_handlers
from servicekit.auth import ServiceTokenRequired, check_configured
from servicekit.db import Database
from servicekit.settings import ServiceSettings

logger = logging.getLogger(__name__)

Lifetime = Callable[[FastAPI, Database], AbstractAsyncContextManager[None]]
"""What runs while the app serves, entered once its tables exist and `app.state.db` is set
(seeding a catalog, a consumer's loop); it logs that the process is ready."""


def build_app(
    *,
    name: str,
    label: str,
    title: str,
    settings: ServiceSettings,
    tables: Sequence[MetaData],
    lifetime: Lifetime,
    probes: Sequence[APIRouter],
    routers: Sequence[APIRouter],
    untraced: str,
) -> FastAPI:
    """An app for process `name` (`label`, e.g. "loyalty consumer", in its logs and errors).

    `probes` stay open (they say only "up", or counts); `routers` need the service token.
    `untraced` lists the paths that get no span (comma-separated, as the instrumentation takes).
    """
    check_configured(label, settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = Database(settings.database_url)
        try:
            await db.create_all(tables)
            app.state.db = db
            async with lifetime(app, db):
                yield
        finally:
            await db.dispose()
            logger.info("%s stopped", label)

    app = FastAPI(title=title, version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.service = name
    install_problem_handlers(app)
    # A server span per request, child of the caller's client span through `traceparent`.
    FastAPIInstrumentor.instrument_app(
        app, excluded_urls=untraced, exclude_spans=["receive", "send"]
    )
    for router in probes:
        app.include_router(router)
    for router in routers:
        app.include_router(router, dependencies=[ServiceTokenRequired])
    return app
