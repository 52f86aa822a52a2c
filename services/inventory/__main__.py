"""`python -m services.inventory` (or `orders-inventory`): serve the inventory API."""

from __future__ import annotations

from servicekit.server import serve
from services.inventory.app import create_app
from services.inventory.settings import InventorySettings


def main() -> None:
    """Serve on INVENTORY_HOST:INVENTORY_PORT until SIGTERM."""
    settings = InventorySettings()
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
