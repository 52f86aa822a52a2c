"""`python -m services.shipping` (or `orders-shipping`): serve the shipping API."""

from __future__ import annotations

from servicekit.server import serve
from services.shipping.app import create_app
from services.shipping.settings import ShippingSettings


def main() -> None:
    """Serve on SHIPPING_HOST:SHIPPING_PORT until SIGTERM."""
    settings = ShippingSettings()
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
