"""The secrets `orders dev` keeps under its data directory, made on first run, reused after.

    <data>/dev-api-key          an API key with every scope, registered in `api-keys.json`
    <data>/service-token        the fleet's service token (participants, consumers' reads)
    <data>/codec-keys           the payload key (`orders.encryption`)
    <data>/codec-server-token   the codec server's bearer token, for `temporal --codec-auth`

All are owner-only (0600), so a key people copied keeps working across restarts. The CLI's
commands find them there when the environment names none (`cli.credentials`, `cli.payloads`), so
they work against `make dev` as they are.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from api.auth.keys import KeyFile, key_id_of, new_key
from api.auth.scopes import ALL_SCOPES
from cli.credentials import API_KEY_FILE, CODEC_KEYS_FILE, SERVICE_TOKEN_FILE
from cli.keys.commands import KEYS_FILE
from orders.codec import new_key as new_payload_key

CODEC_TOKEN_FILE = "codec-server-token"


@dataclass(frozen=True)
class DevSecrets:
    api_key: str
    service_token: str
    keys_file: Path


def _secret_file(path: Path, make: str) -> str:
    """The secret in `path`, or `make` written there first, readable by the owner only."""
    if not path.exists() or not path.read_text().strip():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        # O_EXCL: two stacks starting on one data directory cannot both write a different one.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(make + "\n")
    return path.read_text().strip()


def dev_secrets(data: Path) -> DevSecrets:
    """The stack's secrets; `ORDERS_SERVICE_TOKEN`, when set, is the token (as everywhere)."""
    api_key = _secret_file(data / API_KEY_FILE, new_key()[1])
    token = os.environ.get("ORDERS_SERVICE_TOKEN") or _secret_file(
        data / SERVICE_TOKEN_FILE, secrets.token_urlsafe(32)
    )
    keys = KeyFile(data / KEYS_FILE)
    stored = keys.load().get(key_id_of(api_key) or "")
    if stored is None or not stored.matches(api_key):
        keys.add(api_key, ALL_SCOPES, None, "orders dev: every scope")
    return DevSecrets(api_key, token, keys.path)


def dev_keys_file(data: Path) -> Path:
    _secret_file(data / CODEC_KEYS_FILE, new_payload_key())
    return data / CODEC_KEYS_FILE


def dev_token(data: Path) -> str:
    return _secret_file(data / CODEC_TOKEN_FILE, secrets.token_urlsafe(32))
