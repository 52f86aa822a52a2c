"""`orders-api`: serve the API with uvicorn on `ORDERS_API_HOST`:`ORDERS_API_PORT`."""

from __future__ import annotations

import sys

import uvicorn

from orders.codec import CodecError
from orders.encryption import data_converter
from orders.logs import configure_logging
from orders.settings import get_settings
from orders.telemetry import configure_telemetry


def main() -> None:
    settings = get_settings()
    configure_logging()
    try:
        data_converter()  # no keys: refuse to start rather than store orders in plaintext
    except CodecError as exc:
        sys.exit(f"orders-api: {exc}")
    configure_telemetry("orders-api")
    uvicorn.run(
        "api.main:create_app",
        factory=True,
        host=settings.api_host,
        port=settings.api_port,
        log_config=None,
        timeout_graceful_shutdown=10,
    )


if __name__ == "__main__":
    main()
