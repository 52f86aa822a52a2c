"""One log format for every process, with the order id and trace id on every line of an order.

```
2025-03-14 12:00:00,123 INFO orders.events order_id=A1 trace_id=4bf9…: published …
```

Each record gets `order_id` and `trace_id` attributes when it is created, from where it is made:

- a workflow or an activity: the workflow id `order-<order id>` (Temporal's own context);
- an HTTP request (API, participant services): `OrderContextMiddleware` or `bind_order`;
- a consumer handling an event: `bind_order` around the handling;
- the trace id: the current OpenTelemetry span (in a workflow, the span the order started in).

A record factory rather than a handler filter, so every handler (and pytest's caplog) sees them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from opentelemetry import trace
from starlette.types import ASGIApp, Receive, Scope, Send
from temporalio import activity, workflow

from orders.telemetry import ORDER_ID_ATTRIBUTE, current_trace_id

FORMAT = "%(asctime)s %(levelname)s %(name)s%(order_context)s: %(message)s"
WORKFLOW_ID = re.compile(r"^order-(?P<order_id>.+)$")

_order_id: ContextVar[str | None] = ContextVar("order_id", default=None)
_base_factory = logging.getLogRecordFactory()


def bind_order(order_id: str | None) -> None:
    """Mark the rest of the current task's log lines as being about `order_id`."""
    _order_id.set(order_id)


@contextmanager
def order_logging(order_id: str | None) -> Iterator[None]:
    """Log lines inside the block are about `order_id`; outside, as they were."""
    token = _order_id.set(order_id)
    try:
        yield
    finally:
        _order_id.reset(token)


def order_id_of_workflow(workflow_id: str) -> str | None:
    match = WORKFLOW_ID.match(workflow_id)
    return match["order_id"] if match else None


def current_order_id() -> str | None:
    """The order the current code works on, if it knows."""
    bound = _order_id.get()
    if bound is not None:
        return bound
    if activity.in_activity():
        return order_id_of_workflow(activity.info().workflow_id or "")
    if workflow.in_workflow():
        return order_id_of_workflow(workflow.info().workflow_id)
    return None


def _record(*args: Any, **kwargs: Any) -> logging.LogRecord:
    record = _base_factory(*args, **kwargs)
    order_id, trace_id = current_order_id(), current_trace_id()
    record.order_id = order_id
    record.trace_id = trace_id
    parts = [f"order_id={order_id}"] if order_id else []
    if trace_id:
        parts.append(f"trace_id={trace_id}")
    record.order_context = "".join(f" {part}" for part in parts)
    return record


def install_record_factory() -> None:
    """Give every log record `order_id`, `trace_id` and `order_context` (idempotent)."""
    logging.setLogRecordFactory(_record)


def configure_logging(level: str | int = logging.INFO) -> None:
    """The root logger's handler and format for a process; replaces any set up before."""
    install_record_factory()
    handler = logging.StreamHandler()
    # The default covers records made without the factory (unpickled from another process).
    handler.setFormatter(logging.Formatter(FORMAT, defaults={"order_context": ""}))
    logging.basicConfig(level=level, handlers=[handler], force=True)


OrderOf = Callable[[Scope], str | None]


class OrderContextMiddleware:
    """Binds the order a request is about (as `order_of(scope)` says) for its log lines, and
    tags the request's span with it (`order.id`), so a tracing UI finds an order's traces."""

    def __init__(self, app: ASGIApp, order_of: OrderOf) -> None:
        self.app = app
        self.order_of = order_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        order_id = self.order_of(scope)
        if order_id:
            trace.get_current_span().set_attribute(ORDER_ID_ATTRIBUTE, order_id)
        with order_logging(order_id):
            await self.app(scope, receive, send)


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None
