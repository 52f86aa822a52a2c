"""`python -m workers.notification` (or `orders-notification`): run the notification consumer."""

from __future__ import annotations

from servicekit.server import serve
from workers.notification.app import create_app
from workers.notification.settings import NotificationSettings


def main() -> None:
    """Consume order events and email customers; serve NOTIFICATION_HOST:NOTIFICATION_PORT."""
    settings = NotificationSettings()
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
