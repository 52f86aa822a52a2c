"""`python -m services.payment` (or `orders-payment`): serve the payment API."""

from __future__ import annotations

from servicekit.server import serve
from services.payment.app import create_app
from services.payment.settings import PaymentSettings


def main() -> None:
    """Serve on PAYMENT_HOST:PAYMENT_PORT until SIGTERM."""
    settings = PaymentSettings()
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
