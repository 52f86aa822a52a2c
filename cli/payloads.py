"""The payload keys of the commands that read workflow histories (`history`, `replay`, `audit`):
the environment's (`docs/encryption.md`), else the local stack's under `$ORDERS_DATA_DIR`."""

from __future__ import annotations

import os
from pathlib import Path

from temporalio.converter import DataConverter

from cli.credentials import CODEC_KEYS_FILE
from cli.errors import CliError
from orders.codec import CodecError
from orders.encryption import CodecSettings, data_converter


def cli_codec_settings() -> CodecSettings:
    """The environment's keys, else the key of the local stack (`ORDERS_DATA_DIR`, `.data`)."""
    settings = CodecSettings()
    if settings.configured or settings.disabled:
        return settings
    local = Path(os.environ.get("ORDERS_DATA_DIR", ".data")) / CODEC_KEYS_FILE
    if local.exists():
        return settings.model_copy(update={"keys_file": local})
    return settings


def cli_codec_env() -> dict[str, str]:
    """The variables that give a process the CLI starts the CLI's keys: none when they come from
    the environment (the process inherits it), else the local stack's keys file."""
    if CodecSettings().configured:
        return {}
    settings = cli_codec_settings()
    return {} if settings.keys_file is None else {"ORDERS_CODEC_KEYS_FILE": str(settings.keys_file)}


def cli_data_converter() -> DataConverter:
    """The project's converter with the CLI's keys; no keys is the CLI's one-line error."""
    try:
        return data_converter(cli_codec_settings())
    except CodecError as exc:
        raise CliError(str(exc)) from exc
