"""The Web UI tests: the session's stack (`tests/conftest.py`) seen through headless Chromium.

They skip, saying why, only where Debian's `chromium` and `chromium-driver` are not installed.
Screenshots go to `$ORDERS_TEST_ARTIFACTS/ui` (default `.data/test-artifacts/ui`) on every run;
`make screenshots` copies them to `docs/images/` for docs/web-ui.md.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ui.browser import Browser, missing

ROOT = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.ui)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where the screenshots of this run go; kept after the run, overwritten by the next."""
    base = Path(os.environ.get("ORDERS_TEST_ARTIFACTS", ROOT / ".data" / "test-artifacts"))
    folder = base / "ui"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def browser(artifacts: Path) -> Iterator[Browser]:
    reason = missing()
    if reason is not None:
        pytest.skip(reason)
    browser = Browser(log=artifacts / "chromedriver.log")
    try:
        yield browser
    finally:
        browser.close()
