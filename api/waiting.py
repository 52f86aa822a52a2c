"""Waiting for an order to settle with one `settled` update per order and body in this process,
however many callers wait on it.

The server admits at most 10 updates in flight per workflow, and the customer's cancel is one of
them. A caller of `POST /orders?wait=N` waits on a *watch*: the first caller for an order and
body starts it, the others join it, and the watch keeps one update in flight, asking it to wait
as long as the latest caller's deadline, until the order settles or nobody waits any more. Each
caller still leaves at its own deadline. An update whose admission timed out (no worker took it)
stays in the server's registry, so the next watch for the same order and body sends it again,
under the same id, instead of admitting another one.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from temporalio.client import WorkflowUpdateRPCTimeoutOrCancelledError

from orders.models import OrderState

log = logging.getLogger("orders.api")

MAX_WATCHES_PER_ORDER = 2
"""Watches of one order with different bodies at once; a caller past it is answered at once."""

Update = Callable[[str, float], Awaitable[OrderState]]
"""Runs one `settled` update with this id, waiting at most this many seconds; its state."""


class TooManyWatches(Exception):
    """The order already has `MAX_WATCHES_PER_ORDER` watches: answer without waiting."""


@dataclass(eq=False)
class _Watch:
    deadline: float
    settled: asyncio.Future[OrderState | None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class Watches:
    def __init__(self, max_wait: float) -> None:
        self._max_wait = max_wait
        self._watches: dict[tuple[str, str], _Watch] = {}
        self._per_order: Counter[str] = Counter()
        self._unanswered: dict[tuple[str, str], str] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def in_flight(self, order_id: str) -> int:
        """The `settled` updates this process has in flight for the order."""
        return self._per_order[order_id]

    async def wait(
        self, order_id: str, fingerprint: str, deadline: float, update: Update
    ) -> OrderState | None:
        """The order's settled state if it settles before `deadline` (monotonic), else None.

        Raises what the update raised (a conflict, Temporal unreachable), or `TooManyWatches`.
        """
        key = (order_id, fingerprint)
        watch = self._watches.get(key)
        if watch is None:
            if self._per_order[order_id] >= MAX_WATCHES_PER_ORDER:
                raise TooManyWatches(order_id)
            watch = _Watch(deadline)
            self._watches[key] = watch
            self._per_order[order_id] += 1
            task = asyncio.create_task(self._run(key, watch, update))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        else:
            watch.deadline = max(watch.deadline, deadline)
        try:
            return await asyncio.wait_for(
                asyncio.shield(watch.settled), timeout=max(deadline - time.monotonic(), 0)
            )
        except TimeoutError:
            return None

    async def _run(self, key: tuple[str, str], watch: _Watch, update: Update) -> None:
        try:
            while (remaining := watch.deadline - time.monotonic()) > 0:
                update_id = self._unanswered.pop(key, None) or f"settled-{uuid.uuid4().hex}"
                try:
                    state = await update(update_id, min(remaining, self._max_wait))
                except WorkflowUpdateRPCTimeoutOrCancelledError:
                    self._unanswered[key] = update_id  # admitted, maybe: send it again next time
                    raise
                if state.status.is_terminal:
                    watch.settled.set_result(state)
                    return
        except Exception as exc:  # every caller of the watch answers with it
            if not watch.settled.done():
                watch.settled.set_exception(exc)
                watch.settled.exception()  # retrieved: no caller may be left to see it
        finally:
            del self._watches[key]
            self._per_order[key[0]] -= 1
            if not self._per_order[key[0]]:
                del self._per_order[key[0]]
            if not watch.settled.done():
                # Nobody waits past the watch's deadline but its last caller, whose own timer may
                # fire after this: it answers "not settled yet", never a cancellation.
                watch.settled.set_result(None)
