"""Each service runs as its own process, as the integration tests start it, and stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_healthy(url: str, process: subprocess.Popen[str], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the service exited during startup"
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError(f"{url} not healthy after {timeout}s")


@pytest.mark.parametrize("service", ["inventory", "payment", "shipping"])
def test_service_runs_and_stops_on_sigterm(service: str, tmp_path: Path) -> None:
    prefix = service.upper()
    port = _free_port()
    env = {
        **os.environ,
        f"{prefix}_PORT": str(port),
        f"{prefix}_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'data' / service}.db",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", f"services.{service}"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_healthy(f"http://127.0.0.1:{port}/healthz", process)
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert process.returncode == 0, output
    assert f"{service} service ready" in output
    assert f"{service} service stopped" in output
    assert (tmp_path / "data" / f"{service}.db").exists()
