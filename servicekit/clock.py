"""Time and identifiers, in one place so every record is stamped the same way."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def new_id(prefix: str) -> str:
    """A random id with a type prefix, e.g. `res_9f2c...`, readable in logs at a glance."""
    return f"{prefix}_{secrets.token_hex(12)}"
