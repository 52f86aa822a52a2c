"""Tracing is off unless the standard OTEL_ variables ask for an exporter."""

from __future__ import annotations

import pytest
from opentelemetry import context as otel_context
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
