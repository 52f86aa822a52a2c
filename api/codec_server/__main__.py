"""`orders-codec-server`: serve the codec server with uvicorn on its host and port (8089)."""

from __future__ import annotations

import sys

import uvicorn
from pydantic import ValidationError

from api.codec_server.app import create_app
from api.codec_server.settings import CodecServerSettings
from orders.codec import CodecError
from orders.encryption import codec
from orders.logs import configure_logging


def main() -> None:
    configure_logging()
    try:
        settings = CodecServerSettings()
        keys = codec()
    except (ValidationError, CodecError) as exc:
        sys.exit(f"orders-codec-server: {exc}")
    if keys is None:
        sys.exit("orders-codec-server: payload encryption is off: there is nothing to decode")
    uvicorn.run(
        create_app(settings, keys),
        host=settings.host,
        port=settings.port,
        log_config=None,
        timeout_graceful_shutdown=5,
    )


if __name__ == "__main__":
    main()
