"""The local stack as `orders dev` runs it, each process on a free port, for chaos: any one of
them can be killed (SIGKILL), stopped (SIGTERM) and started again on the same port and data."""

from __future__ import annotations

import signal
from dataclasses import dataclass, field
from pathlib import Path

from orders.bus import CONSUMERS
from tools.stack.components import Component, components, start
from tools.stack.processes import Process
from tools.stack.secrets import DevSecrets, dev_secrets
from tools.stack.settings import SERVICES, DevSettings


@dataclass
class ChaosStack:
    data: Path
    settings: DevSettings = field(init=False)
    secrets: DevSecrets = field(init=False)
    parts: dict[str, Component] = field(default_factory=dict)
    processes: dict[str, Process] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.settings = DevSettings.on_free_ports(self.data)
        self.data.mkdir(parents=True, exist_ok=True)
        self.secrets = dev_secrets(self.data)
        self.parts = {
            part.name: part for part in components(self.settings, self.data, self.secrets)
        }

    def headers(self, name: str) -> dict[str, str]:
        """What a call to part `name` authenticates with: the dev key, or the service token."""
        token = self.secrets.api_key if name == "api" else self.secrets.service_token
        return {"Authorization": f"Bearer {token}"}

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.settings.port_of(name)}"

    @property
    def temporal(self) -> str:
        return f"127.0.0.1:{self.settings.temporal_port}"

    @property
    def nats(self) -> str:
        return f"nats://127.0.0.1:{self.settings.nats_port}"

    async def start(self, name: str) -> None:
        started: list[Process] = []
        try:
            # As `orders dev` starts it: ready, then its `then` (the bus provisioned once NATS
            # is up).
            await start(self.parts[name], self.data / "logs" / f"{name}.log", started)
        finally:
            if started:  # kept even when it failed to get ready: stop() stops it
                self.processes[name] = started[0]

    async def start_all(self) -> None:
        for name in self.parts:
            await self.start(name)

    def kill(self, name: str) -> None:
        """SIGKILL: no shutdown, no goodbye; in-flight work is lost to the process."""
        popen = self.processes[name].popen
        assert popen is not None
        popen.send_signal(signal.SIGKILL)
        popen.wait()
        self.processes[name].stop()  # closes its log

    def stop(self, name: str) -> None:
        self.processes[name].stop()

    def stop_all(self) -> None:
        for process in reversed(list(self.processes.values())):
            process.stop()

    def audit_args(self) -> list[str]:
        return [
            "audit",
            "--json",
            "--temporal",
            self.temporal,
            "--nats",
            self.nats,
            *(arg for name in (*SERVICES, *CONSUMERS) for arg in (f"--{name}-url", self.url(name))),
        ]
