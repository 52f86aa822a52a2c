"""The test suite's secrets: distinctive, so that a scan of logs and events can look for them."""

from __future__ import annotations

from api.auth.keys import KeyFile
from api.auth.scopes import Scope

SERVICE_TOKEN = "svc-test-token-d3adb33f"
"""The fleet's service token in every test (`tests/conftest.py` exports it)."""

SERVICE_HEADERS = {"Authorization": f"Bearer {SERVICE_TOKEN}"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def customer_key(api_keys: KeyFile, customer_id: str, *scopes: Scope) -> str:
    """A new key for `customer_id` (default scopes: place, read, cancel)."""
    chosen = frozenset(scopes or (Scope.PLACE, Scope.READ, Scope.CANCEL))
    return api_keys.create(chosen, customer_id, f"tests: {customer_id}")[1]
