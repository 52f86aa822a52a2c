"""Record what a FastAPI app hands to its thread pool while a block runs.

FastAPI runs a plain `def` endpoint or dependency in the thread pool, one thread hop each. For
the few lines such functions do (read `app.state`, compare a token) the hop costs far more than
the work: the participant services spent about 15 % more CPU per call while their four
dependencies were plain functions (see docs/benchmarks.md). Hot routes should hop nowhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

import anyio.to_thread
import pytest


@contextmanager
def thread_hops(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The qualified names of the functions run in the thread pool inside the block."""
    hops: list[str] = []
    run_sync = anyio.to_thread.run_sync

    async def recording(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        target = func.func if isinstance(func, partial) else func
        hops.append(getattr(target, "__qualname__", repr(target)))
        return await run_sync(func, *args, **kwargs)

    with monkeypatch.context() as patch:
        # Starlette's `run_in_threadpool`, which FastAPI uses, calls it through the module.
        patch.setattr(anyio.to_thread, "run_sync", recording)
        yield hops
