"""`orders dev` as people run it: a subprocess on free ports, used over HTTP, stopped by SIGTERM."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from subprocess import PIPE, STDOUT
from typing import Any

import httpx
import pytest

from tests.integration.dev_stack import PORT_VARIABLES, orders_dev, ready
from tests.integration.orders import poll
from tests.integration.participants import Participants
from tests.processes import alive, descendants
from tests.tokens import SERVICE_HEADERS
from tools.stack.processes import free_ports

SCENARIOS: dict[str, tuple[str, str | None]] = {
    "happy": ("COMPLETED", None),
    "out-of-stock": ("FAILED", "OutOfStock"),
    "declined": ("FAILED", "PaymentDeclined"),
    "undeliverable": ("FAILED", "Undeliverable"),
}


async def orders(env: dict[str, str], *args: str) -> tuple[int, str]:
    """Run the `orders` command as a person would; its exit code and output."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cli", *args, env=env, stdout=PIPE, stderr=STDOUT
    )
    out, _ = await process.communicate()
    return await process.wait(), out.decode()


async def orders_json(env: dict[str, str], *args: str) -> list[dict[str, Any]]:
    code, out = await orders(env, *args, "--json")
    assert code == 0, out
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


@pytest.fixture
def stack_env(tmp_path: Path) -> dict[str, str]:
    # Without the suite's test key: `orders dev` makes and keeps its own, as on a fresh checkout.
    without_keys = {k: v for k, v in os.environ.items() if not k.startswith("ORDERS_CODEC_")}
    return {
        **without_keys,
        "ORDERS_DATA_DIR": str(tmp_path / "data"),
        **dict(zip(PORT_VARIABLES, map(str, free_ports(len(PORT_VARIABLES))), strict=True)),
    }


@pytest.fixture
def dev_stack(stack_env: dict[str, str], tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    with orders_dev(stack_env, tmp_path / "dev.log") as process:
        yield process


# Two starts of a dozen processes and a dozen `orders` commands, each a Python process of its own:
# on a loaded two-core machine that takes minutes, more than the suite's 120 s.
@pytest.mark.timeout(360)
async def test_orders_dev_runs_every_scenario_and_stops_cleanly(
    dev_stack: subprocess.Popen[bytes], stack_env: dict[str, str], tmp_path: Path
) -> None:
    log = tmp_path / "dev.log"
    await ready(dev_stack, log)
    output = log.read_text()
    for name in (
        "temporal",
        "nats",
        "smtp-sink",
        "inventory",
        "payment",
        "shipping",
        "notification",
        "loyalty",
        "analytics",
        "worker",
        "api",
        "codec-server",
    ):
        assert any(line.startswith(f"{name:<12}| ") for line in output.splitlines()), name
    data = Path(stack_env["ORDERS_DATA_DIR"])
    key = (data / "codec-keys").read_text()
    assert (data / "codec-keys").stat().st_mode & 0o777 == 0o600
    assert key.split(":", 1)[1].strip() not in output  # the key is never echoed

    # The dev key: every scope, printed in the banner, kept where `orders` finds it (0600).
    key_file = Path(stack_env["ORDERS_DATA_DIR"]) / "dev-api-key"
    dev_key = key_file.read_text().strip()
    assert dev_key.startswith("ho_") and f"dev API key       {dev_key}" in output
    assert key_file.stat().st_mode & 0o777 == 0o600

    api = f"http://127.0.0.1:{stack_env['ORDERS_API_PORT']}"
    async with httpx.AsyncClient(base_url=api, timeout=10) as anonymous:
        refused = await anonymous.get("/orders")
    assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith("Bearer")
    shipping = f"http://127.0.0.1:{stack_env['SHIPPING_PORT']}"
    env = {**stack_env, "ORDERS_API_URL": api, "ORDERS_SHIPPING_URL": shipping}
    placed = {}
    for scenario, (status, failure) in SCENARIOS.items():
        [order] = await orders_json(env, "place", "--scenario", scenario)
        assert order["status"] == status, (scenario, order)
        assert (order["failure"] or {}).get("type") == failure, scenario
        placed[scenario] = order

    # The side effects follow on their own: an email per order, points for the completed one.
    happy = placed["happy"]["order_id"]
    notification = f"http://127.0.0.1:{stack_env['NOTIFICATION_PORT']}"
    loyalty = f"http://127.0.0.1:{stack_env['LOYALTY_PORT']}"
    async with httpx.AsyncClient(timeout=10, headers=SERVICE_HEADERS) as http:

        async def emailed() -> bool:
            sent = (await http.get(f"{notification}/notifications")).json()
            return {n["order_id"] for n in sent} >= {o["order_id"] for o in placed.values()}

        await poll(emailed, what="an email for every order", within=60)
        points = (await http.get(f"{loyalty}/customers/cust-cli/points")).json()
        assert [e["order_id"] for e in points["entries"]] == [happy]

        # Metrics: the API counts its requests by route template, the worker serves the SDK's.
        api_metrics = (await http.get(f"{api}/metrics")).text
        placing = 'orders_api_requests_total{method="POST",route="/orders",'
        assert any(line.startswith(placing) for line in api_metrics.splitlines()), api_metrics
        worker_metrics = f"http://127.0.0.1:{stack_env['WORKER_METRICS_PORT']}/metrics"
        assert "temporal_workflow_completed" in (await http.get(worker_metrics)).text
    mail = list((Path(stack_env["ORDERS_DATA_DIR"]) / "mail" / "new").iterdir())
    assert len(mail) == len(placed)

    # `--scenario slow` leaves its order in flight at shipping, its call slowed for a person to
    # cancel. The test does not race that window with `orders cancel` (a process to start): it
    # holds the slowed call as soon as the place returns, so the cancel lands however long it takes.
    [slow] = await orders_json(env, "place", "--scenario", "slow", "--slow-ms", "8000")
    assert slow["status"] == "SCHEDULING_SHIPMENT"
    participants = Participants({"shipping": shipping})
    await participants.hold("shipping")
    await participants.until_held("shipping")
    code, out = await orders(env, "cancel", slow["order_id"])
    assert code == 0 and "SCHEDULING_SHIPMENT" in out
    await participants.release("shipping")

    async def cancelled() -> bool:
        [order] = await orders_json(env, "status", slow["order_id"])
        return bool(order["status"] == "CANCELLED")

    await poll(cancelled, what="the slow order cancelled")
    await codec_server_decodes(stack_env, happy)

    children = descendants(dev_stack.pid)
    assert len(children) >= 11
    dev_stack.send_signal(signal.SIGTERM)
    assert dev_stack.wait(timeout=60) == 0
    assert [pid for pid in children if alive(pid)] == []
    assert "stopped" in log.read_text().splitlines()[-1]

    # Running it again keeps the data: the orders are still there.
    with orders_dev(stack_env, tmp_path / "again.log") as again:
        await ready(again, tmp_path / "again.log")
        [order] = await orders_json(env, "status", happy)
        assert (order["order_id"], order["status"]) == (happy, "COMPLETED")
        assert (data / "codec-keys").read_text() == key  # the same key: old orders still decode
        assert key_file.read_text().strip() == dev_key  # the same key, still accepted
        again.send_signal(signal.SIGTERM)
        assert again.wait(timeout=60) == 0


def started_input(history_file: Path) -> dict[str, Any]:
    exported = json.loads(history_file.read_text())
    started = exported["events"][0]["workflowExecutionStartedEventAttributes"]
    return {"payloads": started["input"]["payloads"]}


async def codec_server_decodes(env: dict[str, str], order_id: str) -> None:
    """The Web UI is pointed at the codec server, which decrypts for it and for the token only;
    `orders history export` finds the dev key by itself."""
    data = Path(env["ORDERS_DATA_DIR"])
    codec = f"http://127.0.0.1:{env['ORDERS_CODEC_SERVER_PORT']}"
    ui = f"http://localhost:{env['TEMPORAL_UI_PORT']}"
    async with httpx.AsyncClient(timeout=10) as http:
        settings = (await http.get(f"{ui}/api/v1/settings")).json()
        assert settings["Codec"]["Endpoint"] == codec
        code, out = await orders(
            env,
            "history",
            "export",
            order_id,
            "--out",
            str(data / "exported"),
            "--address",
            f"127.0.0.1:{env['TEMPORAL_PORT']}",
        )
        assert code == 0, out
        body = started_input(Path(out.strip().splitlines()[-1]))
        token = (data / "codec-server-token").read_text().strip()
        for headers, status in [
            ({"Authorization": f"Bearer {token}"}, 200),
            ({"Origin": ui}, 200),
            ({}, 401),
            ({"Authorization": "Bearer guess"}, 403),
        ]:
            answer = await http.post(f"{codec}/decode", json=body, headers=headers)
            assert answer.status_code == status, (headers, answer.text)


def test_orders_dev_names_a_port_that_is_taken(stack_env: dict[str, str]) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        env = {**stack_env, "PAYMENT_PORT": str(port)}
        result = subprocess.run(
            [sys.executable, "-m", "cli", "dev"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert f"port {port} (payment) is already in use" in result.stderr
    assert "PAYMENT_PORT" in result.stderr
    assert not (Path(env["ORDERS_DATA_DIR"]) / "temporal.db").exists()  # checked before starting
