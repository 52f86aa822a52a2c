"""The secrets `orders dev` keeps under its data directory, made on first run, reused after.

    <data>/codec-keys           the payload key (`orders.encryption`), mode 0600
    <data>/codec-server-token   the codec server's bearer token, for `temporal --codec-auth`

The CLI's commands that read histories (`history export`, `replay`, `audit`) find the key
there when the environment names none, so they work against `make dev` as they are.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from temporalio.converter import DataConverter

from cli.api_client import CliError
from orders.codec import CodecError, new_key
from orders.encryption import CodecSettings, data_converter

KEYS_FILE = "codec-keys"
TOKEN_FILE = "codec-server-token"


def _secret_file(path: Path, make: str) -> Path:
    """`path`, created with `make` as its content (owner-only) when it does not exist yet."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two stacks starting on one data directory cannot both write a different key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(make + "\n")
    return path


def dev_keys_file(data: Path) -> Path:
    return _secret_file(data / KEYS_FILE, new_key())


def dev_token(data: Path) -> str:
    return _secret_file(data / TOKEN_FILE, secrets.token_urlsafe(32)).read_text().strip()


def cli_codec_settings() -> CodecSettings:
    """The environment's keys, else the key of the local stack (`ORDERS_DATA_DIR`, `.data`)."""
    settings = CodecSettings()
    if settings.configured or settings.disabled:
        return settings
    local = Path(os.environ.get("ORDERS_DATA_DIR", ".data")) / KEYS_FILE
    if local.exists():
        return settings.model_copy(update={"keys_file": local})
    return settings


def cli_data_converter() -> DataConverter:
    """The project's converter with the CLI's keys; no keys is the CLI's one-line error."""
    try:
        return data_converter(cli_codec_settings())
    except CodecError as exc:
        raise CliError(str(exc)) from exc
