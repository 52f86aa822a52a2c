"""Liveness, readiness and metrics."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST

from api.deps import GatewayDep, MetricsDep, SettingsDep
from api.schemas import Health
from api.temporal import RPC_TIMEOUT, rpc_errors, temporal_unavailable
from orders.problems import ProblemError, problem_responses
from orders.temporal import has_workflow_pollers

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """The process is up."""
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses=problem_responses(503))
async def readyz(gateway: GatewayDep, settings: SettingsDep) -> Health:
    """Temporal is reachable and a worker polls the orders task queue."""
    client = await gateway.client()
    try:
        async with rpc_errors(), asyncio.timeout(RPC_TIMEOUT.total_seconds()):
            await client.service_client.check_health(timeout=RPC_TIMEOUT)
            polled = await has_workflow_pollers(client, settings.task_queue)
    except TimeoutError as exc:
        raise temporal_unavailable("timed out") from exc
    if not polled:
        raise ProblemError(
            503,
            "no_worker",
            "No worker",
            f"Temporal is reachable, but no worker polls task queue {settings.task_queue!r}: "
            "orders would be accepted and wait. Start `orders-worker`.",
        )
    return Health(status="ready", detail={"temporal": "reachable", "task_queue": "polled"})


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
async def metrics(metrics: MetricsDep) -> Response:
    """Prometheus metrics: requests by method, route template and status, and their latency."""
    return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)
