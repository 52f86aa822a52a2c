"""A participant's app: the fleet's app (`servicekit.app`), with idempotency keys, the order
each request is about in its logs, a health probe, and admin routes and faults with admin on."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from urllib.parse import parse_qs

from fastapi import APIRouter, FastAPI
from pydantic import BaseModel
from sqlalchemy import MetaData
from starlette.types import Scope

from orders.logs import OrderContextMiddleware, header
from servicekit import faults
from servicekit.app import build_app
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


def build_participant_app(
    *,
    name: str,
    settings: ServiceSettings,
    metadata: MetaData,
    routers: Sequence[APIRouter],
    admin_routers: Sequence[APIRouter] = (),
    on_startup: StartupHook | None = None,
) -> FastAPI:
    """A participant's app (`servicekit.app`): its tables and the idempotency keys' are created,
    then `on_startup` runs. Every route but `/healthz` needs the service token; `/healthz` stays
    open for probes (it says only "up"). Admin routes, and fault injection, only with admin on.
    """
    label = f"{name} service"

    @asynccontextmanager
    async def serving(app: FastAPI, db: Database) -> AsyncIterator[None]:
        if on_startup is not None:
            await on_startup(db)
        admin = "on" if settings.enable_admin else "off"
        logger.info("%s ready (database %s, admin %s)", label, db.display_url, admin)
        yield

    admin = [faults.router, *admin_routers] if settings.enable_admin else []
    app = build_app(
        name=name,
        label=label,
        title=f"hybrid-orders {name}",
        settings=settings,
        tables=[metadata, IdempotencyBase.metadata],
        lifetime=serving,
        probes=[health_router],
        routers=[*routers, *admin],
        untraced="healthz",
    )
    # Faults only where tests are the point: with admin off (production) no request meets them.
    app.state.after_commit = _inject_faults(app) if settings.enable_admin else None
    app.add_middleware(OrderContextMiddleware, order_of=order_of_request)
    return app


def _inject_faults(app: FastAPI) -> AfterCommit:
    """Mount fault injection: its middleware delays, holds and fails requests before their
    route; the state it returns is the idempotency store's after-commit hook. Added before the
    order context, so it runs inside it and its logs name the order."""
    state = faults.FaultState()
    app.state.faults = state
    app.add_middleware(faults.FaultMiddleware, faults=state)
    return state
