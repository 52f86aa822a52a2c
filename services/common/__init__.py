"""The kit the three participant services share.

- `settings`: the pydantic-settings base every service extends with its env prefix.
- `db`: async engine and sessions from a URL (SQLite made safe for concurrent writers).
- `problems`: RFC 9457 problem+json errors and the exception handlers that render them.
- `idempotency`: `Idempotency-Key` storage and replay, in the same transaction as the work.
- `faults`: in-memory fault injection (errors, latency, failure after commit) for tests.
- `app`: the factory that wires all of the above around a service's routers.
- `server`: run an app under uvicorn until SIGTERM.
"""
