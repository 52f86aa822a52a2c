"""Seams of the tracing tests: spans recorded in memory, and FastAPI apps served in process.

OpenTelemetry has one global tracer provider per process and it can be set only once, so the
recorder is installed once and recording is switched on only while a tracing test runs.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator, Sequence

import uvicorn
from fastapi import FastAPI
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.integration.orders import poll


class SpanRecorder(SpanProcessor):
    """Keeps the spans that end while `recording()` is on."""

    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        self._inner = SimpleSpanProcessor(self.exporter)
        self.on = False

    def on_start(self, span: Span, parent_context: otel_context.Context | None = None) -> None:
        pass

    def on_end(self, span: ReadableSpan) -> None:
        if self.on:
            self._inner.on_end(span)

    @contextlib.contextmanager
    def recording(self) -> Iterator[SpanRecorder]:
        self.exporter.clear()
        self.on = True
        try:
            yield self
        finally:
            self.on = False
            self.exporter.clear()

    def spans(self) -> Sequence[ReadableSpan]:
        return self.exporter.get_finished_spans()


_recorder: SpanRecorder | None = None


def span_recorder() -> SpanRecorder:
    """The process's recorder, installed as the global tracer provider on first use."""
    global _recorder
    if _recorder is None:
        provider = TracerProvider()
        _recorder = SpanRecorder()
        provider.add_span_processor(_recorder)
        trace.set_tracer_provider(provider)
    return _recorder


def trace_id(span: ReadableSpan) -> str:
    assert span.context is not None
    return format(span.context.trace_id, "032x")


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # The test process keeps its own signal handlers (Ctrl-C still stops pytest).
        yield


@contextlib.asynccontextmanager
async def served(app: FastAPI, port: int) -> AsyncIterator[str]:
    """`app` under uvicorn on `port`, in this process and event loop, until the block ends."""
    server = _Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None))
    task = asyncio.create_task(server.serve())
    try:
        await poll(lambda: server.started or task.done(), what=f"uvicorn on port {port}")
        if task.done():
            task.result()
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
