"""`python -m workers.loyalty` (or `orders-loyalty`): run the loyalty consumer."""

from __future__ import annotations

from servicekit.server import serve
from workers.loyalty.app import create_app
from workers.loyalty.settings import LoyaltySettings


def main() -> None:
    """Consume order events and credit points; serve LOYALTY_HOST:LOYALTY_PORT."""
    settings = LoyaltySettings()
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
