"""`python -m workers.analytics` (or `orders-analytics`): run the analytics consumer."""

from __future__ import annotations

from servicekit.server import serve
from workers.analytics.app import create_app
from workers.analytics.settings import AnalyticsSettings


def main() -> None:
    """Consume order events and count sales per day; serve ANALYTICS_HOST:ANALYTICS_PORT."""
    settings = AnalyticsSettings()
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
