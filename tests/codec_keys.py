"""The payload key of the test suite and of the committed histories. TEST ONLY: it is public.

Every process the tests start inherits it (see `tests/conftest.py`), and `make histories`
records with it, so the committed encrypted histories replay. Never use it anywhere real.
"""

from __future__ import annotations

import os

TEST_KEYS = "test-only-2025:D6GnTzuHwykEDwLWbtLBaRHmWZxRKcphiGh3yO3Lmwc="


def use_test_keys() -> None:
    """Put the test key in this process's environment, for it and every child it starts."""
    os.environ["ORDERS_CODEC_KEYS"] = TEST_KEYS
    os.environ.pop("ORDERS_CODEC_KEYS_FILE", None)
    os.environ.pop("ORDERS_CODEC_DISABLED", None)
