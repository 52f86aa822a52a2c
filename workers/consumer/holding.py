"""Keeping a fetched batch ours while it is handled one message at a time.

JetStream hands a message to another replica once its ack wait passes without an ack. A batch
is handled in order, so a message late in a batch of ten waits for the nine before it: with a
slow handler (SMTP answering slower than ack wait ÷ batch) it would expire while still held,
be handled by a second replica too, and spend a delivery attempt. `KeepAlive` sends
`in_progress()` (`+WPI`, which restarts the ack wait) for every message of the batch not yet
settled, every ack wait ÷ 3, so none of them expires while this replica holds it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from types import TracebackType

from nats.aio.msg import Msg

logger = logging.getLogger(__name__)

PINGS_PER_ACK_WAIT = 3


class KeepAlive:
    """`async with KeepAlive(msgs, ack_wait) as held:` … `held.release(msg)` once it is settled."""

    def __init__(self, msgs: Iterable[Msg], ack_wait: float, *, name: str = "consumer") -> None:
        self.interval = ack_wait / PINGS_PER_ACK_WAIT
        self.name = name
        self._held: dict[int, Msg] = {id(msg): msg for msg in msgs}
        self._task: asyncio.Task[None] | None = None
        self.pings = 0
        """`in_progress()` sent so far, over all messages (for tests and logs)."""

    @property
    def held(self) -> list[Msg]:
        """The messages not settled yet, in the batch's order."""
        return list(self._held.values())

    def release(self, msg: Msg) -> None:
        """`msg` is settled (acked, nak'ed or dead-lettered) or given up: stop holding it."""
        self._held.pop(id(msg), None)

    async def __aenter__(self) -> KeepAlive:
        if self._held:
            self._task = asyncio.create_task(self._keep(), name=f"{self.name}-keepalive")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _keep(self) -> None:
        while self._held:
            await asyncio.sleep(self.interval)
            for msg in self.held:
                try:
                    await msg.in_progress()
                except Exception as exc:
                    # NATS away: the message will come back after its ack wait, and the
                    # consumer's idempotency makes that harmless. Keep trying the others.
                    logger.debug("%s: in_progress failed: %s", self.name, exc)
                else:
                    self.pings += 1
