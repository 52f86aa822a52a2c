"""`orders dev` as a subprocess for the tests that use the local stack as people run it."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from tests.integration.orders import poll
from tests.processes import descendants

READY = "Ctrl-C stops everything"
"""The last line of the banner `orders dev` prints once every process answers."""

PORT_VARIABLES = (
    "TEMPORAL_PORT",
    "TEMPORAL_UI_PORT",
    "INVENTORY_PORT",
    "PAYMENT_PORT",
    "SHIPPING_PORT",
    "ORDERS_API_PORT",
    "NATS_PORT",
    "SMTP_SINK_PORT",
    "NOTIFICATION_PORT",
    "LOYALTY_PORT",
    "ANALYTICS_PORT",
    "ORDERS_CODEC_SERVER_PORT",
    "WORKER_METRICS_PORT",
)

ORDERS_DEV = (sys.executable, "-m", "cli", "dev")


@contextlib.contextmanager
def orders_dev(
    env: dict[str, str],
    log_path: Path,
    *,
    argv: Sequence[str] = ORDERS_DEV,
    cwd: Path | None = None,
    own_group: bool = False,
) -> Iterator[subprocess.Popen[bytes]]:
    """`orders dev` as a subprocess; killed, with everything below it, if a test fails.

    With `own_group` it leads a process group of its own, as a shell's foreground job does, so
    that a test can send the group what Ctrl-C sends.
    """
    log = log_path.open("wb")
    process = subprocess.Popen(
        list(argv),
        env=env,
        cwd=cwd,
        stdout=log,
        stderr=subprocess.STDOUT,
        process_group=0 if own_group else None,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            for pid in descendants(process.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            process.kill()
        process.wait()
        log.close()


async def ready(process: subprocess.Popen[bytes], log: Path, within: float = 90) -> None:
    """Wait for the banner; fail with the stack's output if it exits first."""

    def up() -> bool:
        assert process.poll() is None, log.read_text()
        return READY in log.read_text()

    await poll(up, what="the stack ready", within=within)
