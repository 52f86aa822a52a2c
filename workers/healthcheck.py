"""`python -m workers.healthcheck`: exit 0 when a worker on this host polls the `orders` queue.

The container health check of `orders-worker`, which serves no HTTP. It connects the way the
worker does (Temporal's environment configuration) and looks among the task queue's pollers for
one whose identity, `<pid>@<hostname>` by the SDK's default, names this host: so each replica
answers for itself, not for the fleet.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys

from orders.settings import get_settings
from orders.temporal import connect, workflow_pollers

TIMEOUT_SECONDS = 5.0


async def polled_from(host: str, task_queue: str) -> bool:
    client = await connect()
    identities = await workflow_pollers(client, task_queue)
    return any(identity.endswith(f"@{host}") for identity in identities)


def check() -> str | None:
    """Why this host is unhealthy, or None when a worker here polls the task queue."""
    task_queue = get_settings().task_queue
    host = socket.gethostname()
    try:
        ok = asyncio.run(asyncio.wait_for(polled_from(host, task_queue), TIMEOUT_SECONDS))
    except Exception as exc:
        return f"unhealthy: {type(exc).__name__}: {exc}"
    return None if ok else f"unhealthy: no worker on {host} polls task queue {task_queue!r}"


def main() -> None:
    problem = check()
    if problem is not None:
        print(problem, file=sys.stderr)  # docker keeps it with the check
    sys.stderr.flush()
    # Skip interpreter finalization: the Temporal runtime's threads sometimes abort it
    # (SIGABRT in PyGILState_Release, a few runs in 30), which would read as unhealthy.
    os._exit(0 if problem is None else 1)


if __name__ == "__main__":
    main()
