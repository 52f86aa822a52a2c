"""The factory that wires a participant service: database, handlers, health, admin and faults."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from urllib.parse import parse_qs

from fastapi import APIRouter, FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from pydantic import BaseModel
from sqlalchemy import MetaData
from starlette.types import Scope

from orders.logs import OrderContextMiddleware, header
from orders.problems import install_problem_handlers
from servicekit import faults
from servicekit.auth import ServiceTokenRequired, check_configured
from servicekit.db import Database
from servicekit.idempotency import AfterCommit, IdempotencyBase
from servicekit.settings import ServiceSettings

logger = logging.getLogger(__name__)

StartupHook = Callable[[Database], Awaitable[None]]
IDEMPOTENCY_KEY = re.compile(r"^order-(?P<order_id>[^:]+):")


def order_of_request(scope: Scope) -> str | None:
    """The order a participant call is about: its `Idempotency-Key: order-<id>:<step>`, or the
    `order_id` query parameter of a lookup."""
    match = IDEMPOTENCY_KEY.match(header(scope, b"idempotency-key") or "")
    if match:
        return match["order_id"]
    query = parse_qs(bytes(scope.get("query_string", b"")).decode("latin-1"))
    return query.get("order_id", [None])[0]


class Health(BaseModel):
    status: str = "ok"


health_router = APIRouter(tags=["health"])


@health_router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """Liveness: the process is up and its database was set up at startup."""
    return Health()


def build_app(
    *,
    name: str,
    settings: ServiceSettings,
    metadata: MetaData,
    routers: Sequence[APIRouter],
    admin_routers: Sequence[APIRouter] = (),
    on_startup: StartupHook | None = None,
) -> FastAPI:
    """A FastAPI app for one service; its lifespan creates the tables, then runs `on_startup`.

    Every route but `/healthz` needs the service token; `/healthz` stays open for probes (it
    says only "up").
    """
    check_configured(name, settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = Database(settings.database_url)
        try:
            # Tables are created before uvicorn opens the port, so an open port means ready.
            await db.create_all([metadata, IdempotencyBase.metadata])
            if on_startup is not None:
                await on_startup(db)
            app.state.db = db
            logger.info(
                "%s service ready (database %s, admin %s)",
                name,
                db.display_url,
                "on" if settings.enable_admin else "off",
            )
            yield
        finally:
            await db.dispose()
            logger.info("%s service stopped", name)

    app = FastAPI(title=f"hybrid-orders {name}", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.service = name
    install_problem_handlers(app)
    # Faults only where tests are the point: with admin off (production) no request meets them.
    app.state.after_commit = _inject_faults(app) if settings.enable_admin else None
    app.add_middleware(OrderContextMiddleware, order_of=order_of_request)
    # A server span per request, child of the activity's client span through `traceparent`.
    FastAPIInstrumentor.instrument_app(
        app, excluded_urls="healthz", exclude_spans=["receive", "send"]
    )
    app.include_router(health_router)
    for router in routers:
        app.include_router(router, dependencies=[ServiceTokenRequired])
    if settings.enable_admin:
        for router in (faults.router, *admin_routers):
            app.include_router(router, dependencies=[ServiceTokenRequired])
    return app


def _inject_faults(app: FastAPI) -> AfterCommit:
    """Mount fault injection: its middleware delays, holds and fails requests before their
    route; the state it returns is the idempotency store's after-commit hook. Added before the
    order context, so it runs inside it and its logs name the order."""
    state = faults.FaultState()
    app.state.faults = state
    app.add_middleware(faults.FaultMiddleware, faults=state)
    return state
