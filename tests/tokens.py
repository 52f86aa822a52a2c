"""The test suite's secrets: distinctive, so that a scan of logs and events can look for them."""

from __future__ import annotations

SERVICE_TOKEN = "svc-test-token-d3adb33f"
"""The fleet's service token in every test (`tests/conftest.py` exports it)."""

SERVICE_HEADERS = {"Authorization": f"Bearer {SERVICE_TOKEN}"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
