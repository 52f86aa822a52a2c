"""Workflow histories: fetched from a Temporal server or read from files, written as JSON.

A file holds one run's history as `WorkflowHistory.to_json()` writes it, named
`<workflow id>.json`; `read` also takes what `temporal workflow show --output json` and the Web
UI's download write. Server errors become the CLI's errors (see `cli.order.client`):

    CliError          no such order, a query Temporal refuses     (exit 1)
    └── Unreachable   Temporal does not answer                    (exit 2)
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from temporalio.client import Client, WorkflowExecution, WorkflowHistory
from temporalio.envconfig import ClientConfig
from temporalio.service import RPCError, RPCStatusCode

from cli.errors import CliError, Unreachable
from cli.payloads import cli_data_converter
from orders.temporal import DEFAULT_ADDRESS, connect, workflow_id

ORDER_WORKFLOWS = 'WorkflowType = "OrderWorkflow"'
CONNECT_TIMEOUT_SECONDS = 10.0
_UNREACHABLE = frozenset(
    {RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED}
)
_NOT_IN_A_FILE_NAME = re.compile(r"[^A-Za-z0-9._@-]")


@dataclass(frozen=True)
class Server:
    """A connected Temporal client and the address it was given, for messages."""

    client: Client
    address: str


def configured_address(address: str | None = None) -> str:
    """`address`, else what Temporal's environment configuration names, else the default."""
    if address:
        return address
    target = ClientConfig.load_client_connect_config().get("target_host")
    return str(target) if target else DEFAULT_ADDRESS


async def open_server(address: str | None = None) -> Server:
    """Connect with the project's data converter; `address` wins over TEMPORAL_ADDRESS."""
    where = configured_address(address)
    converter = cli_data_converter()
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT_SECONDS):
            client = await connect(
                converter=converter, **({"target_host": address} if address else {})
            )
    except (RuntimeError, TimeoutError, RPCError) as exc:
        raise Unreachable(
            f"cannot reach Temporal at {where}: is `make dev` running? "
            "(set TEMPORAL_ADDRESS or --address to point elsewhere)"
        ) from exc
    return Server(client, where)


@contextmanager
def rpc_errors(server: Server, what: str) -> Iterator[None]:
    """Turn a refused or failed call into one line: unreachable (2) or refused (1)."""
    try:
        yield
    except RPCError as exc:
        if exc.status in _UNREACHABLE:
            raise Unreachable(f"Temporal at {server.address} stopped answering ({what})") from exc
        if exc.status is RPCStatusCode.INVALID_ARGUMENT:
            raise CliError(f"Temporal refused {what}: {exc.message}") from exc
        raise CliError(f"{what} failed: {exc.message}") from exc


async def fetch_order(server: Server, order_id: str) -> WorkflowHistory:
    """The history of the order's workflow, `order-<order_id>`; exit 1 when there is none."""
    handle = server.client.get_workflow_handle(workflow_id(order_id))
    with rpc_errors(server, f"the history of {handle.id}"):
        try:
            return await handle.fetch_history()
        except RPCError as exc:
            if exc.status is RPCStatusCode.NOT_FOUND:
                raise CliError(
                    f"no order {order_id} on {server.address} (no workflow {handle.id})"
                ) from exc
            raise


async def matching(server: Server, query: str, limit: int | None) -> list[WorkflowExecution]:
    """The workflow runs `query` selects, newest first, at most `limit`."""
    with rpc_errors(server, f"the query {query!r}"):
        return [
            execution
            async for execution in server.client.list_workflows(
                query, limit=limit, page_size=min(limit or 1000, 1000)
            )
        ]


async def fetch(server: Server, execution: WorkflowExecution) -> WorkflowHistory:
    handle = server.client.get_workflow_handle(execution.id, run_id=execution.run_id)
    with rpc_errors(server, f"the history of {execution.id}"):
        return await handle.fetch_history()


async def fetch_all(
    server: Server, executions: list[WorkflowExecution]
) -> AsyncIterator[WorkflowHistory]:
    for execution in executions:
        yield await fetch(server, execution)


def file_name(workflow: str) -> str:
    """`<workflow id>.json`, with anything a file name should not hold replaced by `_`."""
    return f"{_NOT_IN_A_FILE_NAME.sub('_', workflow)}.json"


def write(history: WorkflowHistory, out: Path, name: str | None = None) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / (name or file_name(history.workflow_id))
    path.write_text(history.to_json() + "\n")
    return path


def read(path: Path) -> WorkflowHistory:
    """One history file; its workflow id is the file's name without `.json`."""
    try:
        return WorkflowHistory.from_json(path.stem, path.read_text())
    except (OSError, ValueError) as exc:
        raise CliError(f"{path} is not a workflow history: {exc}") from exc


def history_files(directory: Path) -> list[Path]:
    """Every `*.json` under `directory`, folders included, in a stable order."""
    if not directory.is_dir():
        raise CliError(f"{directory} is not a directory")
    return sorted(directory.rglob("*.json"))
