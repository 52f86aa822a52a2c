"""The no-op worker process: `NoopOrderWorkflow` on its own task queue, tuned as the orchestrator.

Run by `orders bench` next to the stack it starts (`python -m tools.bench.noop_worker`), with the
same environment as `orders-worker`, so that `workers.tuning.worker_options` gives both the same
slots, pollers, cache and sandbox.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from temporalio.worker import Worker

from orders.logs import configure_logging
from orders.settings import get_settings
from orders.temporal import connect
from tools.bench.noop_workflow import NOOP_ACTIVITIES, NOOP_TASK_QUEUE, NoopOrderWorkflow
from workers.tuning import worker_options, write_workflow_bytecode

log = logging.getLogger("orders.bench.noop")


async def serve() -> None:
    client = await connect()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    write_workflow_bytecode([NoopOrderWorkflow])
    async with Worker(
        client,
        task_queue=NOOP_TASK_QUEUE,
        workflows=[NoopOrderWorkflow],
        activities=NOOP_ACTIVITIES,
        **worker_options(get_settings()),
    ):
        log.info("no-op worker polling task queue %r", NOOP_TASK_QUEUE)
        await stop.wait()


def main() -> None:
    configure_logging()
    asyncio.run(serve())


if __name__ == "__main__":
    main()
