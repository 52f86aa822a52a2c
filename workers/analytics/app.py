"""The analytics consumer, as its process is built (`workers.consumer.app.ConsumerApp`)."""

from __future__ import annotations

from workers.analytics import routes
from workers.analytics.handler import AnalyticsHandler
from workers.analytics.models import Base
from workers.analytics.settings import get_settings
from workers.consumer.app import ConsumerApp

ANALYTICS = ConsumerApp(
    name="analytics",
    settings=get_settings,
    handler=lambda settings: AnalyticsHandler(),
    tables=Base.metadata,
    routers=[routes.router],
)
create_app = ANALYTICS.create_app
