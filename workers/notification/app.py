"""The notification consumer's app."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from workers.consumer.app import build_consumer_app
from workers.consumer.handler import Handler
from workers.notification import routes
from workers.notification.handler import NotificationHandler
from workers.notification.models import Base
from workers.notification.settings import NotificationSettings, get_settings
from workers.notification.smtp import SmtpSender

NAME = "notification"


def create_handler(settings: NotificationSettings) -> NotificationHandler:
    sender = SmtpSender(settings.smtp_host, settings.smtp_port, settings.smtp_timeout_seconds)
    return NotificationHandler(sender, settings.mail_from)


def create_app(
    settings: NotificationSettings | None = None,
    *,
    nats_url: str | None = None,
    handler: Handler[Any] | None = None,
) -> FastAPI:
    settings = settings or get_settings()
    return build_consumer_app(
        name=NAME,
        settings=settings,
        nats_url=nats_url,
        handler=handler or create_handler(settings),
        metadata=Base.metadata,
        routers=[routes.router],
    )
