"""Tracing is off unless the standard OTEL_ variables ask for an exporter."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import pytest
from opentelemetry import context as otel_context
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.sdk.trace import TracerProvider

from orders.telemetry import context_from_traceparent, current_traceparent, wanted_exporters


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, []),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, ["otlp"]),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://jaeger:4318/v1/traces"}, ["otlp"]),
        ({"OTEL_TRACES_EXPORTER": "otlp"}, ["otlp"]),
        ({"OTEL_TRACES_EXPORTER": "console,otlp"}, ["console", "otlp"]),
        ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, []),
        ({"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"}, []),
        ({"OTEL_TRACES_EXPORTER": "zipkin"}, []),
    ],
)
def test_exporters_follow_the_standard_variables(env: dict[str, str], expected: list[str]) -> None:
    assert wanted_exporters(env) == expected


def test_a_traceparent_names_the_parent_of_what_follows() -> None:
    assert current_traceparent() is None
    tracer = TracerProvider().get_tracer("tests")
    with tracer.start_as_current_span("publish") as publish:
        traceparent = current_traceparent()
    assert traceparent is not None
    context = context_from_traceparent(traceparent)
    token = otel_context.attach(context)
    try:
        with tracer.start_as_current_span("consume") as consume:
            pass
    finally:
        otel_context.detach(token)
    parent = getattr(consume, "parent", None)  # an SDK span; the API's type does not say
    assert parent is not None
    assert parent.span_id == publish.get_span_context().span_id
    assert consume.get_span_context().trace_id == publish.get_span_context().trace_id
    assert context_from_traceparent(None) == otel_context.Context()


class _Collector(BaseHTTPRequestHandler):
    """An OTLP/HTTP trace receiver: keeps the names of the spans posted to /v1/traces."""

    spans: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        request = ExportTraceServiceRequest.FromString(body)
        for resource_spans in request.resource_spans:
            service = next(
                a.value.string_value
                for a in resource_spans.resource.attributes
                if a.key == "service.name"
            )
            for scope_spans in resource_spans.scope_spans:
                self.spans.extend(f"{service}/{span.name}" for span in scope_spans.spans)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()
        self.wfile.write(ExportTraceServiceResponse().SerializeToString())

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_a_process_exports_its_spans_over_otlp_when_the_endpoint_is_set() -> None:
    server = HTTPServer(("127.0.0.1", 0), _Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        script = (
            "from orders.telemetry import configure_telemetry, tracer\n"
            "provider = configure_telemetry('orders-test')\n"
            "with tracer().start_as_current_span('hello'): pass\n"
            "provider.shutdown()\n"
        )
        env = {
            **os.environ,
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{server.server_port}",
        }
        env.pop("OTEL_TRACES_EXPORTER", None)
        subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=60)
    finally:
        server.shutdown()
    assert _Collector.spans == ["orders-test/hello"]
