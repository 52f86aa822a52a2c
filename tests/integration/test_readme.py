"""The README's walk-through, as printed, against `orders dev` started as `make dev` starts it.

Every `sh`/`bash` block between the walk-through's heading and the next heading of its level runs
in order, each in `bash` with `set -euo pipefail`, from a directory laid out as the checkout (its
files, and a `.data` of its own), with the venv's `bin` first on PATH (what `source
.venv/bin/activate` does). The README speaks of the stack's default ports; the stack here runs
on free ones, so `localhost:<default>` in a block is rewritten to the port the stack has, and the
`orders` commands are given the stack's URLs as a person moving a port would. Nothing is skipped.
The banner the README shows under "Two commands" must be the one the stack prints.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path
from subprocess import PIPE, STDOUT

import pytest
from temporalio.client import Client

from tests.integration.dev_stack import PORT_VARIABLES, READY, orders_dev, ready
from tests.integration.orders import poll
from tests.processes import alive, descendants
from tools.stack.processes import free_ports
from tools.stack.settings import DevSettings

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
WALK_THROUGH = "## A ten-minute walk-through"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
ADDRESS = re.compile(r"\b(localhost|127\.0\.0\.1):(\d+)\b")
BIN = Path(sys.executable).parent
BANNER = "dev         | ready"

CLI_SERVICES = ("inventory", "payment", "shipping", "notification", "loyalty", "analytics")
# What the walk-through's comments promise its orders end as.
PROMISED = ("COMPLETED", "OutOfStock", "PaymentDeclined", "Undeliverable", "CANCELLED", "A-1001")


def section(text: str, heading: str) -> str:
    """The lines under `heading`, up to the next heading of the same level."""
    lines = text.splitlines(keepends=True)
    assert heading + "\n" in lines, f"README has no {heading!r}"
    start = lines.index(heading + "\n") + 1
    level = heading.split(" ", 1)[0] + " "
    end = next((i for i in range(start, len(lines)) if lines[i].startswith(level)), len(lines))
    return "".join(lines[start:end])


def fenced(text: str, *languages: str) -> list[str]:
    return [body for language, body in FENCE.findall(text) if language in languages]


def default_ports() -> dict[int, str]:
    """Each port `orders dev` binds by default, and the variable that moves it."""
    return {
        field.default: str(field.validation_alias)
        for name, field in DevSettings.model_fields.items()
        if name.endswith("_port")
    }


def on_ports(block: str, env: dict[str, str]) -> str:
    """`block` with the default ports it names moved to the stack's."""
    defaults = default_ports()

    def moved(match: re.Match[str]) -> str:
        port = int(match[2])
        assert port in defaults, f"the walk-through names port {port}, which orders dev has not"
        return f"{match[1]}:{env[defaults[port]]}"

    return ADDRESS.sub(moved, block)


def banner_shown(readme: str, env: dict[str, str]) -> list[str]:
    """The banner the README shows, as the stack of `env` would print it."""
    [shown] = [body for body in fenced(readme, "text") if body.startswith(BANNER)]
    data = Path(env["ORDERS_DATA_DIR"]).resolve()
    key = (data / "dev-api-key").read_text().strip()
    smtp = f"SMTP sink on port {env['SMTP_SINK_PORT']}"
    for example, real in [
        ("/path/to/hybrid-orders", str(data.parent)),
        ("ho_3f9c…_…", key),
        ("SMTP sink on port 1025", smtp),
    ]:
        assert example in shown, example
        shown = shown.replace(example, real)
    return on_ports(shown, env).splitlines()


def banner_printed(log: str) -> list[str]:
    lines = log.splitlines()
    start = lines.index(BANNER)
    end = next(i for i in range(start, len(lines)) if READY in lines[i])
    return [line for line in lines[start : end + 1] if line.startswith(BANNER.split("|")[0])]


def checkout(tmp_path: Path) -> Path:
    """A directory that reads as the checkout, with a `.data` of its own."""
    here = tmp_path / "checkout"
    here.mkdir()
    for entry in ROOT.iterdir():
        if entry.name != ".data":
            (here / entry.name).symlink_to(entry)
    return here


def stack_env(data: Path) -> dict[str, str]:
    """A fresh checkout's environment: none of the suite's keys, tokens or addresses."""
    inherited = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("ORDERS_", "TEMPORAL_")) and name not in PORT_VARIABLES
    }
    return {
        **inherited,
        "PATH": f"{BIN}{os.pathsep}{inherited.get('PATH', '')}",
        "ORDERS_DATA_DIR": str(data),
        **dict(zip(PORT_VARIABLES, map(str, free_ports(len(PORT_VARIABLES))), strict=True)),
    }


def cli_env(env: dict[str, str]) -> dict[str, str]:
    """What the `orders` commands need to find a stack on these ports instead of the defaults."""
    url = {name: f"http://127.0.0.1:{env[f'{name.upper()}_PORT']}" for name in CLI_SERVICES}
    return {
        **env,
        **{f"ORDERS_{name.upper()}_URL": value for name, value in url.items()},
        "ORDERS_API_URL": f"http://127.0.0.1:{env['ORDERS_API_PORT']}",
        "ORDERS_NATS_URL": f"nats://127.0.0.1:{env['NATS_PORT']}",
        "TEMPORAL_ADDRESS": f"127.0.0.1:{env['TEMPORAL_PORT']}",
    }


async def run(block: str, env: dict[str, str], cwd: Path) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        "bash", "-c", f"set -euo pipefail\n{block}", env=env, cwd=cwd, stdout=PIPE, stderr=STDOUT
    )
    try:
        out, _ = await asyncio.wait_for(process.communicate(), timeout=180)
    except TimeoutError:
        process.kill()
        out, _ = await process.communicate()
        return -1, out.decode() + "\n(timed out after 180 s)"
    return await process.wait(), out.decode()


@pytest.mark.timeout(600)
async def test_every_block_of_the_walk_through_runs_as_printed(tmp_path: Path) -> None:
    walk_through = section(README.read_text(), WALK_THROUGH)
    blocks = fenced(walk_through, "sh", "bash")
    assert len(blocks) >= 4 and fenced(walk_through, "text"), walk_through
    here = checkout(tmp_path)
    env = stack_env(here / ".data")
    log = tmp_path / "dev.log"
    with orders_dev(env, log, argv=[str(BIN / "orders"), "dev"], cwd=here, own_group=True) as dev:
        await ready(dev, log, within=120)
        # What the README says `make dev` prints is what it prints.
        assert banner_printed(log.read_text()) == banner_shown(README.read_text(), env)
        shell = cli_env(env)
        transcript = []
        for number, block in enumerate(blocks, 1):
            code, out = await run(on_ports(block, env), shell, here)
            assert code == 0, (
                f"walk-through block {number} exited {code}:\n{block}\n--- output ---\n{out}"
                f"\n--- orders dev ---\n{log.read_text()[-3000:]}"
            )
            assert out.strip(), f"walk-through block {number} printed nothing:\n{block}"
            transcript.append(out)
        said = "\n".join(transcript)
        missing = [word for word in PROMISED if word not in said]
        assert not missing, f"the walk-through never showed {missing}:\n{said}"

        # Each filter the README gives for the Web UI finds some of the walk-through's orders.
        temporal = await Client.connect(f"127.0.0.1:{env['TEMPORAL_PORT']}")
        for text in fenced(walk_through, "text"):
            for query in filter(None, map(str.strip, text.splitlines())):

                async def found(query: str = query) -> bool:
                    return (await temporal.count_workflows(query)).count > 0

                await poll(found, what=f"an order matching {query}", within=30)

        children = descendants(dev.pid)
        os.killpg(dev.pid, signal.SIGINT)  # what Ctrl-C sends the foreground job
        assert await asyncio.to_thread(dev.wait, 60) == 0, log.read_text()[-3000:]
        assert [pid for pid in children if alive(pid)] == []
        assert "stopped" in log.read_text().splitlines()[-1]


async def test_a_block_stops_at_its_first_broken_command(tmp_path: Path) -> None:
    """What the walk-through's test relies on: a failing command, even inside a pipe, fails its
    block there."""
    code, out = await run("echo placed\nfalse | cat\necho after\n", dict(os.environ), tmp_path)
    assert code != 0 and out == "placed\n"
