"""The saga with free participants: what the order workflow costs the engine by itself.

The bench's third phase runs the real `OrderWorkflow` on a second orchestrator worker (the same
`orders-worker`, environment and tuning; only its task queue, its participant URLs and its NATS
server differ), started with a bare `client.start_workflow` and the API's own start options
(memo, search attributes, summaries). Its participant calls go over HTTP, through the same
activities and httpx client, to this module's server, which answers each one at once with a
canned success: no database, no idempotency record, no logging. Its `OrderCompleted` goes to a
NATS server of its own, which no consumer reads.

So the phase measures the saga's own engine work — its search attribute upserts, its encrypted
payloads, its activities' HTTP clients and the publish — with the participants, the consumers
and the API at next to no cost. Between the no-op limit and the application it splits the gap
into what the workflow costs the engine and what everything around it costs.

`python -m tools.bench.saga --port N` serves the free participants.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer
import uvicorn

SAGA_TASK_QUEUE = "orders-bench-saga"
UNIT_PRICE = 1000
"""Minor units, per unit of every SKU."""

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_ids = itertools.count(1)


def _reservation(request: dict[str, Any], number: int, now: datetime) -> dict[str, Any]:
    lines = [
        {
            "sku": item["sku"],
            "quantity": item["quantity"],
            "unit_price": UNIT_PRICE,
            "line_total": UNIT_PRICE * item["quantity"],
        }
        for item in request["items"]
    ]
    return {
        "id": f"res_free{number}",
        "order_id": request["order_id"],
        "status": "reserved",
        "lines": lines,
        "total": sum(line["line_total"] for line in lines),
        "currency": "USD",
        "created_at": now.isoformat(),
        "released_at": None,
    }


def _charge(request: dict[str, Any], number: int, now: datetime) -> dict[str, Any]:
    return {
        "id": f"ch_free{number}",
        "order_id": request["order_id"],
        "status": "captured",
        "amount": request["amount"],
        "currency": request["currency"],
        "created_at": now.isoformat(),
        "refunded_at": None,
    }


def _shipment(request: dict[str, Any], number: int, now: datetime) -> dict[str, Any]:
    return {
        "id": f"shp_free{number}",
        "order_id": request["order_id"],
        "status": "scheduled",
        "carrier": "free",
        "tracking_number": f"FREE{number}",
        "estimated_delivery": (now.date() + timedelta(days=3)).isoformat(),
        "created_at": now.isoformat(),
        "cancelled_at": None,
    }


ANSWERS: dict[str, Callable[[dict[str, Any], int, datetime], dict[str, Any]]] = {
    "/reservations": _reservation,
    "/charges": _charge,
    "/shipments": _shipment,
}
"""What each participant service answers to a successful call, shaped as its response, so the
activities parse it as they parse theirs."""


def respond(method: str, path: str, body: bytes) -> tuple[int, dict[str, Any]]:
    """The status and JSON body answering one request."""
    if path == "/healthz":
        return 200, {"status": "ok"}
    build = ANSWERS.get(path)
    if method != "POST" or build is None:
        return 404, {"detail": "not a participant call"}
    try:
        return 201, build(json.loads(body), next(_ids), datetime.now(UTC))
    except (ValueError, LookupError, TypeError):
        return 422, {"detail": f"not a body for POST {path}"}


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """A bare ASGI app: POST a step's collection → 201 and its canned answer; `/healthz` → 200."""
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    status, payload = respond(scope["method"], scope["path"], body)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": json.dumps(payload).encode()})


def main(
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")],
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
) -> None:
    """Serve participants that answer every reservation, charge and shipment at once."""
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


if __name__ == "__main__":
    typer.run(main)
