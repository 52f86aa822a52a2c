"""The local stack's secrets: a dev API key with every scope, and the fleet's service token.

Made on the first `orders dev` under the data directory (mode 0600) and reused on later runs,
so that a key people copied keeps working across restarts. The key file registers the dev key
by its digest, as `orders keys create` would.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from api.auth.keys import KeyFile, key_id_of, new_key
from api.auth.scopes import ALL_SCOPES
from cli.credentials import API_KEY_FILE, SERVICE_TOKEN_FILE
from cli.keys_commands import KEYS_FILE


@dataclass(frozen=True)
class DevSecrets:
    api_key: str
    service_token: str
    keys_file: Path


def _secret_file(path: Path, make: str) -> str:
    """The secret in `path`, or `make` written there first, readable by the owner only."""
    if path.exists():
        existing = path.read_text().strip()
        if existing:
            return existing
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(make + "\n")
    return make


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
