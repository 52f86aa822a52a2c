"""Tracing: one OpenTelemetry setup per process, off unless the standard `OTEL_` variables ask.

An order is one trace: the API request, Temporal's StartWorkflow, the workflow run and every
activity (`temporalio.contrib.opentelemetry.TracingInterceptor`, added by
`orders.temporal.connect`), each participant call (httpx client span, FastAPI server span), the
publish of the order's event and each consumer's handling of it (the event carries the W3C
`traceparent` of the publish).

Every process instruments itself unconditionally. Without a configured provider the spans are
non-recording, yet the FastAPI instrumentation still reads each request's headers and builds its
attributes: about 1 ms of CPU per request on the benchmark's machine, a tenth of a participant
call (docs/benchmarks.md). `configure_telemetry` installs a real provider only when asked to export:

- `OTEL_SDK_DISABLED=true`, or `OTEL_TRACES_EXPORTER=none`: off.
- `OTEL_TRACES_EXPORTER=otlp` (and/or `console`): those exporters.
- otherwise `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` set: OTLP/HTTP.
- otherwise: off.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)

log = logging.getLogger("orders.telemetry")

TRACER_NAME = "hybrid-orders"
TRACEPARENT = "traceparent"
ORDER_ID_ATTRIBUTE = "order.id"
"""The span attribute naming the order a span works on (search a tracing UI by it)."""


def wanted_exporters(env: Mapping[str, str] | None = None) -> list[str]:
    """The span exporters the standard variables ask for: `otlp`, `console`, or none."""
    env = os.environ if env is None else env
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return []
    named = env.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if named:
        return [name for name in (n.strip() for n in named.split(",")) if name in EXPORTERS]
    endpoint = env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or env.get(
        "OTEL_EXPORTER_OTLP_ENDPOINT"
    )
    return ["otlp"] if endpoint else []


def _otlp() -> SpanExporter:
    # Imported here: the exporter pulls in protobuf and requests, needed only when exporting.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()  # endpoint, headers, timeout: from the OTEL_EXPORTER_OTLP_* vars


EXPORTERS = {"otlp", "console"}


def configure_telemetry(service: str) -> TracerProvider | None:
    """Install the process's tracer provider if the environment asks to export; else None."""
    exporters = wanted_exporters()
    if not exporters:
        return None
    name = os.environ.get("OTEL_SERVICE_NAME") or service
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: name}))
    for exporter in exporters:
        if exporter == "otlp":
            provider.add_span_processor(BatchSpanProcessor(_otlp()))
        else:
            provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
    trace.set_tracer_provider(provider)
    log.info("tracing on: service %s exports to %s", name, ", ".join(exporters))
    return provider


def tracer() -> trace.Tracer:
    """The project's tracer (a proxy: it follows whichever provider is installed, even later)."""
    return trace.get_tracer(TRACER_NAME)


def current_traceparent() -> str | None:
    """The W3C traceparent of the current span, or None when there is no valid one."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get(TRACEPARENT)


def current_trace_id() -> str | None:
    """The current trace id as 32 hex digits, or None outside any trace."""
    span_context = trace.get_current_span().get_span_context()
    return format(span_context.trace_id, "032x") if span_context.is_valid else None


def context_from_traceparent(traceparent: str | None) -> otel_context.Context:
    """A context whose parent is the span `traceparent` names (an empty one if it names none)."""
    if not traceparent:
        return otel_context.Context()
    return propagate.extract({TRACEPARENT: traceparent}, context=otel_context.Context())
