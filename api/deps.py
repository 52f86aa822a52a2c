"""Dependencies of the routes, as `Annotated` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from temporalio.client import Client

from api.metrics import RequestMetrics
from api.temporal import TemporalGateway
from orders.settings import Settings


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _gateway(request: Request) -> TemporalGateway:
    gateway: TemporalGateway = request.app.state.temporal
    return gateway


def _metrics(request: Request) -> RequestMetrics:
    metrics: RequestMetrics = request.app.state.metrics
    return metrics


async def _client(gateway: Annotated[TemporalGateway, Depends(_gateway)]) -> Client:
    return await gateway.client()


SettingsDep = Annotated[Settings, Depends(_settings)]
GatewayDep = Annotated[TemporalGateway, Depends(_gateway)]
ClientDep = Annotated[Client, Depends(_client)]
MetricsDep = Annotated[RequestMetrics, Depends(_metrics)]
