"""Dependencies of the routes, as `Annotated` aliases."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from temporalio.client import Client

from api.auth.authenticate import Authenticator, forbidden
from api.auth.rate_limit import RateLimiter
from api.auth.scopes import Principal, Scope
from api.metrics import RequestMetrics
from api.temporal import TemporalGateway
from api.waiting import Watches
from orders.problems import ProblemError
from orders.settings import Settings

# auto_error=False: a missing header is our 401 problem, not FastAPI's 403.
bearer = HTTPBearer(
    auto_error=False,
    description="An API key (`ho_<id>_<secret>`, see `orders keys create`) or a JWT.",
)


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _gateway(request: Request) -> TemporalGateway:
    gateway: TemporalGateway = request.app.state.temporal
    return gateway


async def _metrics(request: Request) -> RequestMetrics:
    metrics: RequestMetrics = request.app.state.metrics
    return metrics


async def _watches(request: Request) -> Watches:
    watches: Watches = request.app.state.watches
    return watches


async def _client(gateway: Annotated[TemporalGateway, Depends(_gateway)]) -> Client:
    return await gateway.client()


async def _principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    authenticator: Authenticator = request.app.state.authenticator
    principal = authenticator.authenticate(credentials.credentials if credentials else None)
    limiter: RateLimiter = request.app.state.rate_limiter
    wait = limiter.take(principal.subject)
    if wait is not None:
        raise ProblemError(
            429,
            "rate_limited",
            "Too many requests",
            f"Over {limiter.per_second:g} requests a second (burst {limiter.burst}); slow down.",
            headers={"Retry-After": str(max(1, math.ceil(wait)))},
        )
    return principal


def requires(scope: Scope) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency answering the principal when it holds `scope`, else a 403 problem."""

    async def check(principal: Annotated[Principal, Depends(_principal)]) -> Principal:
        if not principal.may(scope):
            raise forbidden(scope)
        return principal

    return check


SettingsDep = Annotated[Settings, Depends(_settings)]
GatewayDep = Annotated[TemporalGateway, Depends(_gateway)]
ClientDep = Annotated[Client, Depends(_client)]
WatchesDep = Annotated[Watches, Depends(_watches)]
PlacerDep = Annotated[Principal, Depends(requires(Scope.PLACE))]
ReaderDep = Annotated[Principal, Depends(requires(Scope.READ))]
CancellerDep = Annotated[Principal, Depends(requires(Scope.CANCEL))]
OperatorDep = Annotated[Principal, Depends(requires(Scope.OPERATE))]
MetricsDep = Annotated[RequestMetrics, Depends(_metrics)]
