"""The loyalty consumer, as its process is built (`workers.consumer.app.ConsumerApp`)."""

from __future__ import annotations

from workers.consumer.app import ConsumerApp
from workers.loyalty import routes
from workers.loyalty.handler import LoyaltyHandler
from workers.loyalty.models import Base
from workers.loyalty.settings import get_settings

LOYALTY = ConsumerApp(
    name="loyalty",
    settings=get_settings,
    handler=lambda settings: LoyaltyHandler(),
    tables=Base.metadata,
    routers=[routes.router],
)
create_app = LOYALTY.create_app
