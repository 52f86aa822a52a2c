"""The participant services of the order saga: inventory, payment and shipping.

Each is its own FastAPI app with its own database, started as its own process
(`python -m services.<name>`). What they share with each other and with the side-effect
consumers (database setup, idempotency keys, the service token, fault injection for tests) is the
service kit, `servicekit`.
"""
