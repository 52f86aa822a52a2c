"""One order, one trace: from the API request to each consumer's handling of the order's event.

Everything whose spans the test reads runs in this process, so one in-memory exporter sees
them all: the API (ASGI transport), the participant services (uvicorn on free ports), a worker
of its own on task queue `orders-tracing` (the session's worker does not take these orders), and
the three consumers on a nats-server of this module.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind
from temporalio.client import Client

from api.auth.settings import AuthSettings
from api.main import create_app as api_app
from orders.bus import CONSUMERS
from orders.logs import FORMAT, install_record_factory
from orders.settings import Settings
from services.inventory.app import create_app as inventory_app
from services.inventory.settings import InventorySettings
from services.payment.app import create_app as payment_app
from services.payment.settings import PaymentSettings
from services.shipping.app import create_app as shipping_app
from services.shipping.settings import ShippingSettings
from tests.integration.consumers import running
from tests.integration.orders import order_body, poll
from tests.integration.tracing import SpanRecorder, served, span_recorder, trace_id
from tests.nats import running_nats
from tests.tokens import bearer
from tools.smtp_sink.sink import SmtpSink
from tools.stack.processes import free_port
from workers.analytics.app import create_app as analytics_app
from workers.analytics.settings import AnalyticsSettings
from workers.loyalty.app import create_app as loyalty_app
from workers.loyalty.settings import LoyaltySettings
from workers.notification.app import create_app as notification_app
from workers.notification.settings import NotificationSettings
from workers.orchestrator import running_worker

TASK_QUEUE = "orders-tracing"
STEPS = ("reserve_inventory", "charge_payment", "schedule_shipment", "publish_event")
PARTICIPANT_CALLS = {
    "reserve_inventory": "POST /reservations",
    "charge_payment": "POST /charges",
    "schedule_shipment": "POST /shipments",
}
FAST = {"fetch_timeout_seconds": 0.2}


@dataclass
class Stack:
    api: httpx.AsyncClient
    recorder: SpanRecorder


@pytest.fixture(scope="module")
async def stack(
    client: Client,
    auth_settings: AuthSettings,
    operator_key: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Stack]:
    recorder = span_recorder()
    install_record_factory()
    data = tmp_path_factory.mktemp("tracing")

    def db(name: str) -> str:
        return f"sqlite+aiosqlite:///{data / name}.db"

    async with AsyncExitStack() as stack:
        (data / "nats").mkdir()
        bus = await stack.enter_async_context(running_nats(data / "nats"))
        sink = SmtpSink(data / "Maildir", port=free_port())
        await sink.start()
        stack.push_async_callback(sink.stop)
        participants = {
            "inventory": inventory_app(InventorySettings(database_url=db("inventory"))),
            "payment": payment_app(PaymentSettings(database_url=db("payment"))),
            "shipping": shipping_app(ShippingSettings(database_url=db("shipping"))),
        }
        urls = {
            name: await stack.enter_async_context(served(app, free_port()))
            for name, app in participants.items()
        }
        for name, app in (
            (
                "notification",
                notification_app(
                    NotificationSettings(database_url=db("notification"), smtp_port=sink.port),
                    nats_url=bus.url,
                ),
            ),
            ("loyalty", loyalty_app(LoyaltySettings(database_url=db("loyalty")), nats_url=bus.url)),
            (
                "analytics",
                analytics_app(AnalyticsSettings(database_url=db("analytics")), nats_url=bus.url),
            ),
        ):
            await stack.enter_async_context(running(name, app))
        settings = Settings(
            task_queue=TASK_QUEUE,
            inventory_url=urls["inventory"],
            payment_url=urls["payment"],
            shipping_url=urls["shipping"],
            nats_url=bus.url,
        )
        await stack.enter_async_context(running_worker(client, settings))
        transport = httpx.ASGITransport(app=api_app(settings, client=client, auth=auth_settings))
        api = await stack.enter_async_context(
            httpx.AsyncClient(
                transport=transport, base_url="http://api", headers=bearer(operator_key)
            )
        )
        yield Stack(api, recorder)


def named(spans: Sequence[ReadableSpan], name: str) -> list[ReadableSpan]:
    return [span for span in spans if span.name == name]


def the_one(spans: Sequence[ReadableSpan], name: str) -> ReadableSpan:
    found = named(spans, name)
    assert len(found) == 1, (name, [span.name for span in spans])
    return found[0]


def parent_of(spans: Sequence[ReadableSpan], span: ReadableSpan) -> ReadableSpan:
    assert span.parent is not None, span.name
    [parent] = [
        s for s in spans if s.context is not None and s.context.span_id == span.parent.span_id
    ]
    return parent


def consumer_span(consumer: str) -> str:
    return f"{consumer} process orders.order.completed.v1"


async def test_an_order_is_one_trace_from_the_api_to_each_consumer(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    body = order_body()
    order_id = body["order_id"]
    with stack.recorder.recording() as recorder:
        response = await stack.api.post("/orders", json=body)
        assert response.status_code == 202, response.text

        def handled_by_all() -> bool:
            names = {span.name for span in recorder.spans()}
            return all(consumer_span(name) in names for name in CONSUMERS)

        await poll(handled_by_all, what="each consumer's span of the order", within=60)
        [root] = [s for s in recorder.spans() if s.name == "POST /orders" and s.parent is None]
        trace = trace_id(root)
        spans = [span for span in recorder.spans() if trace_id(span) == trace]

    # One tree: every span's parent is in the trace, and the API request is its only root.
    ids = {span.context.span_id for span in spans if span.context is not None}
    assert [span.name for span in spans if span.parent is None] == ["POST /orders"]
    assert all(span.parent.span_id in ids for span in spans if span.parent is not None)

    assert dict(root.attributes or {})["order.id"] == order_id
    start = the_one(spans, "StartWorkflow:OrderWorkflow")
    assert parent_of(spans, start) is root
    assert parent_of(spans, the_one(spans, "RunWorkflow:OrderWorkflow")) is start
    for step in STEPS:
        run = the_one(spans, f"RunActivity:{step}")
        assert parent_of(spans, parent_of(spans, run)).name == "StartWorkflow:OrderWorkflow"
        assert dict(run.attributes or {})["temporalWorkflowID"] == f"order-{order_id}"
    for step, call in PARTICIPANT_CALLS.items():
        [client_span] = [
            s
            for s in spans
            if s.kind is SpanKind.CLIENT and parent_of(spans, s).name == f"RunActivity:{step}"
        ]
        [server_span] = [s for s in spans if s.kind is SpanKind.SERVER and s.name == call]
        assert parent_of(spans, server_span) is client_span
        assert dict(server_span.attributes or {})["order.id"] == order_id
    publish = the_one(spans, "publish orders.order.completed.v1")
    assert publish.kind is SpanKind.PRODUCER
    assert parent_of(spans, publish).name == "RunActivity:publish_event"
    for consumer in CONSUMERS:
        handling = the_one(spans, consumer_span(consumer))
        assert handling.kind is SpanKind.CONSUMER
        assert parent_of(spans, handling) is publish

    # Every log line about the order, wherever it was written, names the order and its trace.
    lines = [record for record in caplog.records if getattr(record, "order_id", None) == order_id]
    assert {getattr(record, "trace_id", None) for record in lines} == {trace}
    loggers = {record.name for record in lines}
    assert {"orders.events", "workers.consumer.delivery", "uvicorn.access"} <= loggers, loggers
    assert sum(record.name == "workers.consumer.delivery" for record in lines) == len(CONSUMERS)


async def test_a_failing_order_s_workflow_log_lines_carry_its_order_and_trace(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    body = order_body(payment_token="tok_chargeDeclined")
    order_id = body["order_id"]
    with stack.recorder.recording() as recorder:
        response = await stack.api.post("/orders?wait=30", json=body)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "FAILED"
        [root] = [s for s in recorder.spans() if s.name == "POST /orders" and s.parent is None]

    [warning] = [
        record
        for record in caplog.records
        if record.name == "temporalio.workflow" and "step charge_payment failed" in record.message
    ]
    assert getattr(warning, "order_id", None) == order_id
    assert getattr(warning, "trace_id", None) == trace_id(root)
    line = logging.Formatter(FORMAT).format(warning)
    assert f" order_id={order_id} trace_id={trace_id(root)}: order {order_id}: step" in line
