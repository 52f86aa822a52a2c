"""The API's composition root: `create_app()` builds the app; nothing connects at import."""

from __future__ import annotations

import re

from fastapi import FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from starlette.types import Scope
from temporalio.client import Client

from api.auth.authenticate import Authenticator
from api.auth.rate_limit import RateLimiter
from api.auth.settings import AuthSettings, get_auth_settings
from api.body_limit import BodyLimitMiddleware
from api.metrics import RequestMetrics, RequestMetricsMiddleware
from api.routes import health, orders
from api.temporal import TemporalGateway
from api.waiting import Watches
from orders.logs import OrderContextMiddleware
from orders.problems import install_problem_handlers
from orders.settings import Settings, get_settings

DESCRIPTION = """\
Place orders and follow them through their critical path — reserve inventory, charge payment,
schedule shipment — run as a Temporal workflow with reverse-order compensation.

Every `/orders` route needs `Authorization: Bearer <API key or JWT>` with a scope:
`orders:place`, `orders:read`, `orders:cancel` for one's own orders, `orders:operate` for every
customer's. Another customer's order answers 404, as a missing one does.

Errors are RFC 9457 `application/problem+json` bodies with a machine-readable `code`.
"""

ORDER_PATH = re.compile(r"^/orders/(?P<order_id>[^/]+)")


def order_of_request(scope: Scope) -> str | None:
    """The order in the path; `POST /orders` binds its order once it knows the id."""
    match = ORDER_PATH.match(scope.get("path", ""))
    return match["order_id"] if match else None


def create_app(
    settings: Settings | None = None,
    client: Client | None = None,
    auth: AuthSettings | None = None,
) -> FastAPI:
    """The app; `client` (tests) skips connecting to Temporal on first use."""
    settings = settings or get_settings()
    auth = auth or get_auth_settings()
    app = FastAPI(title="hybrid-orders", version="0.1.0", description=DESCRIPTION)
    app.state.settings = settings
    app.state.temporal = TemporalGateway(settings, client)
    app.state.watches = Watches(settings.api_max_wait_seconds)
    app.state.authenticator = Authenticator(auth)
    app.state.rate_limiter = RateLimiter(auth.api_rate_limit_per_second, auth.api_rate_limit_burst)
    app.state.metrics = RequestMetrics()
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.api_max_body_bytes)
    app.add_middleware(OrderContextMiddleware, order_of=order_of_request)
    app.add_middleware(RequestMetricsMiddleware, metrics=app.state.metrics)
    install_problem_handlers(app)
    app.include_router(health.router)
    app.include_router(orders.router)
    # The root span of an order's trace: the request that places it.
    FastAPIInstrumentor.instrument_app(
        app, excluded_urls="healthz,readyz,metrics", exclude_spans=["receive", "send"]
    )
    return app
