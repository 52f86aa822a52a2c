"""What a consumer does with an event: the port each side-effect worker implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from orders.events import OrderCancelled, OrderCompleted, OrderFailed
from servicekit.db import Database

Event = OrderCompleted | OrderFailed | OrderCancelled
EffectT = TypeVar("EffectT")


class Deferred(Exception):
    """Another delivery of this event is being applied right now (another replica's send, say):
    come back after `retry_after` seconds. Not a failure: no attempt is spent, nothing is counted
    against the dependency.
    """

    def __init__(self, reason: str, retry_after: float) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class PermanentFailure(Exception):
    """The event can never be applied as it is (a mail server refusing the address, say).

    Raised by a handler, it dead-letters the message at once instead of retrying it. Any other
    exception is retried with backoff, then dead-lettered: as a message failure (a limited number
    of attempts) or a dependency failure (for hours), see `workers.consumer.failures`.
    """


class Handler(ABC, Generic[EffectT]):
    """Applies one event in two steps.

    `effect` runs outside any transaction, for an effect the database cannot roll back (sending
    an email); it runs again if the message is redelivered before `record` commits. `record`
    runs inside the transaction that also marks the event processed, so the effect's record and
    "this event is done" commit together or not at all.
    """

    effect_outside_transaction: ClassVar[bool] = True
    """Whether `effect` does something a repeat would show (an email sent twice): the runner
    then looks the event up before `effect`, besides inside the transaction."""

    def use_database(self, db: Database) -> None:
        """The consumer's database, handed over before the first event: for a handler that
        writes outside the effect's transaction (the notification consumer's send intents)."""

    async def probe(self) -> None:
        """Raise if the dependency `effect` needs does not answer: the circuit breaker's health
        check while it is open (the consumer's database is probed besides, by the runner)."""

    @abstractmethod
    async def effect(self, event: Event) -> EffectT:
        """Do what cannot be part of the transaction; return what `record` needs to store."""

    @abstractmethod
    async def record(self, session: AsyncSession, event: Event, effect: EffectT) -> None:
        """Write the effect in `session`, whose transaction the runner commits."""


class TransactionalHandler(Handler[None]):
    """A handler whose whole effect is database writes (a ledger, a counter): a redelivered
    event is found applied inside the transaction, so nothing is looked up before it."""

    effect_outside_transaction: ClassVar[bool] = False

    async def effect(self, event: Event) -> None:
        return None

    async def record(self, session: AsyncSession, event: Event, effect: None) -> None:
        await self.apply(session, event)

    @abstractmethod
    async def apply(self, session: AsyncSession, event: Event) -> None:
        """Apply the event in `session`'s transaction."""

    async def apply_all(self, session: AsyncSession, events: Sequence[Event]) -> None:
        """Apply a batch's events in `session`'s one transaction (`workers.consumer.batch`);
        a handler may combine their writes, as long as the sum is the same."""
        for event in events:
            await self.apply(session, event)
