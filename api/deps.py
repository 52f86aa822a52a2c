"""Dependencies of the routes, as `Annotated` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from temporalio.client import Client

from api.temporal import TemporalGateway
from orders.settings import Settings


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _gateway(request: Request) -> TemporalGateway:
    gateway: TemporalGateway = request.app.state.temporal
    return gateway


async def _client(gateway: Annotated[TemporalGateway, Depends(_gateway)]) -> Client:
    return await gateway.client()


SettingsDep = Annotated[Settings, Depends(_settings)]
GatewayDep = Annotated[TemporalGateway, Depends(_gateway)]
ClientDep = Annotated[Client, Depends(_client)]
