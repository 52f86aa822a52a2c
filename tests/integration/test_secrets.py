"""No secret in a log line, a problem body or an event: an order is placed with a distinctive
payment token and API keys, then every log the tests captured (this process at DEBUG, and the
log files of the server processes) and every event about the order are scanned for them."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from nats.js import JetStreamContext

from api.auth.keys import KeyFile
from orders.bus import STREAM, connect_nats
from orders.events import subject_token
from tests.integration.orders import order_body, poll
from tests.nats import NatsServer
from tests.tokens import SERVICE_TOKEN, bearer, customer_key

pytestmark = pytest.mark.usefixtures("worker")


@pytest.fixture
async def jetstream(nats_server: NatsServer) -> AsyncIterator[JetStreamContext]:
    nc = await connect_nats(nats_server.url, "tests-secrets")
    yield nc.jetstream()
    await nc.close()


async def events_about(js: JetStreamContext, order_id: str) -> list[bytes]:
    subjects = f"orders.events.*.{subject_token(order_id)}"
    info = await js.stream_info(STREAM, subjects_filter=subjects)
    return [
        (await js.get_last_msg(STREAM, subject)).data or b""
        for subject in (info.state.subjects or {})
    ]


def server_logs(base: Path) -> str:
    """Everything the session's server processes wrote (participants, Temporal, NATS)."""
    files = [p for p in base.rglob("*") if p.is_file() and (p.suffix == ".log" or p.name == "log")]
    assert files, f"no server log under {base}"
    return "\n".join(p.read_text(errors="replace") for p in files)


async def test_no_payment_token_or_key_in_logs_problems_or_events(
    api_app: FastAPI,
    api_keys: KeyFile,
    operator_key: str,
    jetstream: JetStreamContext,
    caplog: pytest.LogCaptureFixture,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    caplog.set_level(logging.DEBUG)
    card = f"tok_secret_{uuid.uuid4().hex}"
    key = customer_key(api_keys, "cust-secrets")
    forged = f"ho_{uuid.uuid4().hex[:16]}_forged{uuid.uuid4().hex}"
    secrets = [card, key, operator_key, forged, SERVICE_TOKEN]
    answers: list[httpx.Response] = []

    async def call(token: str, method: str, path: str, **kwargs: object) -> httpx.Response:
        transport = httpx.ASGITransport(app=api_app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://api", headers=bearer(token)
        ) as http:
            response = await http.request(method, path, **kwargs)  # type: ignore[arg-type]
        answers.append(response)
        return response

    # Declined (the token is no card the payment service knows): the failure path runs too.
    body = order_body(customer_id="cust-secrets", payment_token=card)
    placed = await call(key, "POST", "/orders", json=body, params={"wait": 30})
    assert placed.status_code == 200 and placed.json()["status"] == "FAILED", placed.text
    order_id = placed.json()["order_id"]
    await call(key, "GET", f"/orders/{order_id}")
    await call(operator_key, "GET", "/orders", params={"customer_id": "cust-secrets"})
    # Invalid bodies carrying the secrets: the 422 says where, never what.
    await call(key, "POST", "/orders", json={**body, "currency": "XXX", "order_id": "x" * 99})
    await call(key, "POST", "/orders", json={**body, "payment_token": {"card": card, "key": key}})
    await call(key, "POST", "/orders", json={**body, "customer_id": key, "payment_token": card})
    await call(forged, "GET", f"/orders/{order_id}")
    assert [r.status_code for r in answers[3:]] == [422, 422, 403, 401]

    async def failed_published() -> bool:
        return len(await events_about(jetstream, order_id)) == 1

    await poll(failed_published, what="the OrderFailed event", within=30)
    events = b"\n".join(await events_about(jetstream, order_id))
    logged = "\n".join(
        f"{record.getMessage()} {record.exc_text or ''}" for record in caplog.records
    )
    files = server_logs(tmp_path_factory.getbasetemp())
    assert order_id in logged and order_id.encode() in events  # the scans see the order
    for secret in secrets:
        for response in answers:
            assert secret not in response.text, (response.status_code, response.text)
        assert secret.encode() not in events
        assert secret not in logged
        assert secret not in files
