"""The inventory service: the product catalog, and stock reservations for orders."""
