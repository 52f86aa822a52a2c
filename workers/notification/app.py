"""The notification consumer, as its process is built (`workers.consumer.app.ConsumerApp`)."""

from __future__ import annotations

from workers.consumer.app import ConsumerApp
from workers.notification import routes
from workers.notification.handler import NotificationHandler
from workers.notification.models import Base
from workers.notification.settings import NotificationSettings, get_settings
from workers.notification.smtp import SmtpSender


def create_handler(settings: NotificationSettings) -> NotificationHandler:
    sender = SmtpSender(settings.smtp_host, settings.smtp_port, settings.smtp_timeout_seconds)
    return NotificationHandler(sender, settings.mail_from, settings.send_lease_seconds)


NOTIFICATION = ConsumerApp(
    name="notification",
    settings=get_settings,
    handler=create_handler,
    tables=Base.metadata,
    routers=[routes.router],
)
create_app = NOTIFICATION.create_app
