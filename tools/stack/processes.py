"""Start, watch and stop the processes of the local stack, and find free ports for them.

Used by `orders dev` and by the test fixtures, so that tests run the stack the way people do. The
servers' command lines are in `tools.stack.servers`, the readiness probes in `tools.stack.ready`.
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
