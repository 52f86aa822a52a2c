"""A three-node NATS JetStream cluster for tests: three local `nats-server` processes whose
routes run over loopback, as `docker-compose.nats-cluster.yml` runs three containers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import nats
import nats.errors

from cli.bus.provision import provision_at
from tools.stack.processes import Process, free_ports, wait_until
from tools.stack.ready import nats_ready
from tools.stack.servers import nats_server_argv

CLUSTER = "orders"
NODES = 3


class NatsCluster:
    def __init__(self, data: Path) -> None:
        ports = free_ports(2 * NODES)
        self.client_ports, self.route_ports = ports[:NODES], ports[NODES:]
        self.data = data
        self.urls = [f"nats://127.0.0.1:{port}" for port in self.client_ports]
        self.url = ",".join(self.urls)
        """Every node, comma-separated, as the processes of a deployment are given them."""
        self._processes: list[Process] = []

    def _argv(self, node: int) -> list[str]:
        routes = ",".join(f"nats://127.0.0.1:{port}" for port in self.route_ports)
        return [
            *nats_server_argv(self.data / f"node-{node}", self.client_ports[node]),
            "--server_name",
            f"nats-{node + 1}",
            "--cluster_name",
            CLUSTER,
            "--cluster",
            f"nats://127.0.0.1:{self.route_ports[node]}",
            "--routes",
            routes,
        ]

    async def start(self) -> None:
        for node in range(NODES):
            process = Process(
                f"nats-{node + 1}", self._argv(node), log=self.data / f"node-{node}.log"
            )
            process.start()
            self._processes.append(process)
        for url, process in zip(self.urls, self._processes, strict=True):
            await wait_until(nats_ready(url), what=process.name, within=60, process=process)

    async def provision(self, replicas: int = NODES) -> None:
        """`orders bus provision --replicas 3`, once the meta group can place three replicas
        (until then the server answers "insufficient resources")."""

        async def provisioned() -> bool:
            try:
                await provision_at(self.url, replicas)
            except nats.errors.Error:
                return False
            return True

        await wait_until(provisioned, what=f"an R{replicas} topology", within=60)

    def stop(self) -> None:
        for process in reversed(self._processes):
            process.stop()
        self._processes.clear()


@asynccontextmanager
async def running_cluster(data: Path) -> AsyncIterator[NatsCluster]:
    """A started `NatsCluster` with its stores under `data`, stopped afterwards (unprovisioned)."""
    cluster = NatsCluster(data)
    try:
        await cluster.start()
        yield cluster
    finally:
        cluster.stop()
