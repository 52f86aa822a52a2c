"""The secrets the CLI sends: the API key to the orders API, the service token to the
participants and consumers. Each comes from its option or variable, else from the file the local
stack wrote under `$ORDERS_DATA_DIR` (default `.data`), so that commands just work next to
`make dev`."""

from __future__ import annotations

import os
from pathlib import Path

API_KEY_FILE = "dev-api-key"
SERVICE_TOKEN_FILE = "service-token"
CODEC_KEYS_FILE = "codec-keys"

API_KEY_HINT = "set ORDERS_API_KEY or --api-key (`make dev` writes one to .data/dev-api-key)"
SERVICE_TOKEN_HINT = "set ORDERS_SERVICE_TOKEN (`make dev` writes it to .data/service-token)"


def data_dir() -> Path:
    return Path(os.environ.get("ORDERS_DATA_DIR") or ".data")


def _from_file(name: str) -> str | None:
    try:
        return (data_dir() / name).read_text().strip() or None
    except OSError:
        return None


def api_key(given: str | None = None) -> str | None:
    """`--api-key`, else `ORDERS_API_KEY`, else the local stack's dev key, else None."""
    return given or os.environ.get("ORDERS_API_KEY") or _from_file(API_KEY_FILE)


def service_token() -> str | None:
    """`ORDERS_SERVICE_TOKEN`, else the local stack's token, else None."""
    return os.environ.get("ORDERS_SERVICE_TOKEN") or _from_file(SERVICE_TOKEN_FILE)


def bearer(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}
