"""A real nats-server for tests, which a test may stop and start again on the same store.

`running_nats` provisions the bus topology once, as `orders bus provision` does in a
deployment: no process under test creates it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from cli.bus.provision import provision_at
from tools.stack.processes import Process, free_port, wait_until
from tools.stack.ready import nats_ready
from tools.stack.servers import nats_server_argv


class NatsServer:
    def __init__(self, data: Path, port: int) -> None:
        self.data = data
        self.port = port
        self.url = f"nats://127.0.0.1:{port}"
        self._process: Process | None = None

    async def start(self) -> None:
        self._process = Process(
            "nats", nats_server_argv(self.data / "store", self.port), log=self.data / "log"
        )
        self._process.start()
        await wait_until(nats_ready(self.url), what="nats-server", process=self._process)

    def stop(self) -> None:
        if self._process is not None:
            self._process.stop()
            self._process = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.alive


@asynccontextmanager
async def running_nats(data: Path, *, provisioned: bool = True) -> AsyncIterator[NatsServer]:
    """A `NatsServer` on a free port with its store in `data`, started (and the topology
    provisioned, unless told not to), and stopped afterwards."""
    server = NatsServer(data, free_port())
    await server.start()
    if provisioned:
        await provision_at(server.url)
    try:
        yield server
    finally:
        server.stop()
