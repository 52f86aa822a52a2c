"""Run a service's app under uvicorn until SIGTERM or Ctrl-C."""

from __future__ import annotations

import signal
from types import FrameType

import uvicorn
from fastapi import FastAPI

from orders.logs import configure_logging
from orders.telemetry import configure_telemetry
from servicekit.settings import ServiceSettings

GRACEFUL_SHUTDOWN_SECONDS = 5


def _exit_cleanly(signum: int, frame: FrameType | None) -> None:
    # uvicorn handles SIGTERM itself (stop accepting, finish requests, run the lifespan's
    # shutdown), then restores the previous handler and re-raises the signal. This handler is that
    # previous one: it turns the re-raised signal, or one that comes before uvicorn has started,
    # into a normal exit with status 0 instead of death by signal.
    raise SystemExit(0)


def serve(app: FastAPI, settings: ServiceSettings) -> None:
    """Serve `app` on the settings' host and port; returns once it has shut down.

    The process's logging and tracing are set up here, named after the app's `service`.
    """
    configure_logging(settings.log_level.upper())
    configure_telemetry(f"orders-{app.state.service}")
    signal.signal(signal.SIGTERM, _exit_cleanly)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,  # uvicorn's loggers propagate to the root logger configured above
        log_level=settings.log_level,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )
