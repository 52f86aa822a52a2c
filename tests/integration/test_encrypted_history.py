"""What Temporal stores of an order is ciphertext; people with the key still read it.

The history is read raw from the server (the gRPC service, no data converter): no address,
payment token, email or name in any byte. The workflow's own client still decodes it, and the
`temporal` CLI decodes it through the codec server given the token — and not without it.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import GetWorkflowExecutionHistoryRequest
from temporalio.client import Client
from temporalio.worker import Worker

from orders.models import OrderInput, OrderStatus
from orders.temporal import workflow_id
from tests.integration.orders import run, start, state
from tests.integration.participants import new_order
from tools.stack.processes import Process, executable, free_port, wait_until
from tools.stack.ready import http_ok
from workflows.order import OrderWorkflow

TOKEN = "integration-codec-token"


def secret_order() -> OrderInput:
    order = new_order(payment_token="tok_mastercard", customer_email="ada@secret.example")
    address = order.shipping_address.model_copy(
        update={"name": "Ada Secretname", "line1": "7 Hidden Mews"}
    )
    return order.model_copy(update={"shipping_address": address})


def secrets_of(order: OrderInput) -> list[bytes]:
    assert order.customer_email is not None
    return [
        text.encode()
        for text in (
            order.shipping_address.line1,
            order.shipping_address.name,
            order.payment_token,
            order.customer_email,
        )
    ]


async def raw_history(client: Client, order_id: str) -> bytes:
    """Every page of the history as the server sends it, serialized: what it stores."""
    pages, token = [], b""
    while True:
        page = await client.workflow_service.get_workflow_execution_history(
            GetWorkflowExecutionHistoryRequest(
                namespace=client.namespace,
                execution=WorkflowExecution(workflow_id=workflow_id(order_id)),
                next_page_token=token,
            )
        )
        pages.append(page.history.SerializeToString())
        token = page.next_page_token
        if not token:
            return b"".join(pages)


async def test_the_stored_history_holds_no_plaintext_yet_decodes(
    client: Client, worker: Worker
) -> None:
    order = secret_order()
    assert (await run(client, order)).status is OrderStatus.COMPLETED

    stored = await raw_history(client, order.order_id)
    assert b"binary/encrypted" in stored
    for secret in secrets_of(order):
        assert secret not in stored, secret

    # The project's client decrypts: the status query and the typed history both read back.
    handle = client.get_workflow_handle_for(OrderWorkflow.run, workflow_id(order.order_id))
    assert (await state(handle)).status is OrderStatus.COMPLETED
    history = await handle.fetch_history()
    assert history.events[0].workflow_execution_started_event_attributes.input.payloads


@pytest.fixture(scope="module")
async def codec_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    port = free_port()
    env = {
        "ORDERS_CODEC_SERVER_PORT": str(port),
        "ORDERS_CODEC_SERVER_TOKEN": TOKEN,
    }
    log = tmp_path_factory.mktemp("codec-server") / "log"
    async with AsyncExitStack() as stack:
        process = Process("codec-server", [executable("orders-codec-server")], env, log)
        process.start()
        stack.callback(process.stop)
        url = f"http://127.0.0.1:{port}"
        await wait_until(http_ok(f"{url}/healthz"), what="the codec server", process=process)
        yield url


def payload_bytes(document: Any) -> Iterator[bytes]:
    """The decoded `data` of every payload in `temporal workflow show --output json`."""
    if isinstance(document, dict):
        if isinstance(document.get("data"), str) and "metadata" in document:
            yield base64.b64decode(document["data"])
        for value in document.values():
            yield from payload_bytes(value)
    elif isinstance(document, list):
        for value in document:
            yield from payload_bytes(value)


async def temporal_show(address: str, workflow: str, *codec: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        executable("temporal"),
        "workflow",
        "show",
        "--workflow-id",
        workflow,
        "--address",
        address,
        "--output",
        "json",
        *codec,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={k: v for k, v in os.environ.items() if not k.startswith("TEMPORAL_")},
    )
    out, _ = await process.communicate()
    return await process.wait(), out.decode()


async def test_the_temporal_cli_decodes_through_the_codec_server_with_the_token(
    client: Client, worker: Worker, temporal_address: str, codec_server: str, tmp_path: Path
) -> None:
    order = secret_order()
    await (await start(client, order)).result()
    workflow = workflow_id(order.order_id)

    code, out = await temporal_show(
        temporal_address,
        workflow,
        "--codec-endpoint",
        codec_server,
        "--codec-auth",
        f"Bearer {TOKEN}",
    )
    assert code == 0, out
    decoded = b"".join(payload_bytes(json.loads(out)))
    for secret in secrets_of(order):
        assert secret in decoded, secret

    code, out = await temporal_show(
        temporal_address, workflow, "--codec-endpoint", codec_server, "--codec-auth", "Bearer no"
    )
    assert code != 0 or not any(secret in out.encode() for secret in secrets_of(order))
    assert "403" in out or code != 0
