"""The participant services of the order saga: inventory, payment and shipping.

Each is its own FastAPI app with its own database, started as its own process
(`python -m services.<name>`). They share the kit in `services.common`: database setup,
idempotency keys, problem responses and fault injection.
"""
