"""The service kit: what every FastAPI process of the fleet shares, participants and consumers.

- `settings`: the pydantic-settings base every service and consumer extends with its env prefix.
- `db`: async engine and sessions from a URL (SQLite made safe for concurrent writers).
- `auth`: the fleet's service token, required on every route but the probes'.
- `deps`: the routes' dependencies (`DbDep`, `ReadSessionDep`, `IdempotentDep`); `clock`: time
  and record ids.
- `idempotency`: `Idempotency-Key` storage and replay, in the same transaction as the work.
- `records`, `resource`: a participant's record queries, and its create / undo / list / get
  routes built from one description of the record.
- `faults`: in-memory fault injection (errors, latency, holds, failure after commit) for tests,
  mounted only with admin routes on.
- `app`: the app every process is built on (token, tables, problems, tracing); `participant`
  adds a participant's idempotency, order context, health probe, admin routes and faults.
- `server`: run an app under uvicorn until SIGTERM.

It imports only `orders`, the contracts; `services` and `workers` import it.
"""
