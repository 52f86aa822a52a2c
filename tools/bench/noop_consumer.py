"""`python -m tools.bench.noop_consumer`: the consumer framework with a handler that does
nothing, the drain bench's limit.

Everything else is the framework's as every consumer runs it: the fetch loop, parsing, the
`processed_events` row committed with each event (or each batch, with `NOOP_CONSUMER_BATCH_COMMIT`),
the acknowledgement, logs and metrics. The framework binds only the topology's durables, so the
no-op borrows one (`NOOP_CONSUMER_DURABLE`, analytics by default): the bench creates it afresh
before each run.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.server import serve
from workers.consumer.app import build_consumer_app
from workers.consumer.handler import Event, TransactionalHandler
from workers.consumer.settings import ConsumerSettings


class NoopConsumerSettings(ConsumerSettings):
    model_config = SettingsConfigDict(env_prefix="NOOP_CONSUMER_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///.data/noop-consumer.db"
    port: int = Field(default=8299, ge=0, le=65535)
    durable: str = "analytics"
    """The topology's durable it runs as (the consumer loop refuses any other)."""


class NoopHandler(TransactionalHandler):
    async def apply(self, session: AsyncSession, event: Event) -> None:
        return None


def main() -> None:
    settings = NoopConsumerSettings()
    app = build_consumer_app(
        name=settings.durable,
        settings=settings,
        handler=NoopHandler(),
        metadata=MetaData(),
        routers=[],
    )
    serve(app, settings)


if __name__ == "__main__":
    main()
