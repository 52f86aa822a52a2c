"""Fixtures of the unit tests."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from cli import options
from cli.order import placing
from tests.unit.fake_api import Fake


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[Fake]:
    fake = Fake()
    monkeypatch.setattr(options, "transport", lambda: httpx.MockTransport(fake))
    monkeypatch.setattr(placing, "POLL_INTERVAL_SECONDS", 0)
    monkeypatch.setattr(placing, "IN_FLIGHT_GRACE_SECONDS", 0)
    yield fake
