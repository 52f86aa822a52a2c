"""`orders history export` and `orders replay`: the histories of orders, and the check before a
deploy that the workflow code in this checkout still replays them."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Coroutine
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Column, Table
from rich.text import Text
from temporalio.client import WorkflowExecution, WorkflowHistory

from cli import options
from cli.history import histories
from cli.history.histories import ORDER_WORKFLOWS, Server
from cli.history.replaying import ReplayOutcome, replay

T = TypeVar("T")

DEFAULT_LIMIT = 100
Address = Annotated[
    str | None,
    typer.Option(
        "--address",
        metavar="HOST:PORT",
        show_default=False,
        help="The Temporal frontend. Default: TEMPORAL_ADDRESS, a temporal.toml profile, "
        "or localhost:7233.",
    ),
]
Limit = Annotated[
    int, typer.Option("--limit", min=1, metavar="N", help="At most N workflows, newest first.")
]

history_app = typer.Typer(
    help="Workflow histories of orders: export them as JSON, for replay tests.",
    no_args_is_help=True,
)


def _run(work: Coroutine[Any, Any, T]) -> T:
    try:
        return options.run(work)
    finally:
        # The Temporal client's native threads must be gone before the interpreter tears down,
        # or it may abort at exit (temporalio/sdk-python#300) and lose our exit code.
        gc.collect()


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
    )


def _histories(count: int) -> str:
    return f"{count} {'history' if count == 1 else 'histories'}"


@history_app.command("export")
def export(
    order_id: Annotated[
        str | None,
        typer.Argument(show_default=False, help="The order whose history to export."),
    ] = None,
    query: Annotated[
        str | None,
        typer.Option(
            "--query",
            "-q",
            metavar="QUERY",
            show_default=False,
            help="A visibility query instead of one order, e.g. 'OrderStatus = \"FAILED\"'.",
        ),
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", "-o", metavar="DIR", help="Where to write the files.")
    ] = Path("."),
    limit: Limit = DEFAULT_LIMIT,
    address: Address = None,
) -> None:
    """Write workflow histories as JSON files, one <workflow id>.json each.

    Give an ORDER_ID, or --query for every workflow it matches (at most --limit).
    The format is that of `temporal workflow show --output json`: commit the ones
    worth keeping under tests/replay/histories/, and `pytest tests/replay` replays
    them. Exit 1 for an unknown order or a refused query, 2 if Temporal is down.

    Examples:

      orders history export A-1001 --out tests/replay/histories

      orders history export --query 'OrderStatus = "COMPENSATION_FAILED"' --out /tmp/h
    """
    if (order_id is None) == (query is None):
        both = ", not both" if order_id else ""
        raise typer.BadParameter(f"give an ORDER_ID or --query{both}", param_hint="ORDER_ID")
    console = Console(stderr=True)

    async def one(server: Server, order: str) -> list[Path]:
        return [histories.write(await histories.fetch_order(server, order), out)]

    async def many(server: Server, query: str) -> list[Path]:
        executions = await histories.matching(server, query, limit)
        written, names = [], set()
        with _progress(console) as progress:
            task = progress.add_task("exporting", total=len(executions))
            for execution in executions:
                history = await histories.fetch(server, execution)
                name = histories.file_name(execution.id)
                if name in names:  # another run of the same workflow id
                    name = histories.file_name(f"{execution.id}@{execution.run_id}")
                names.add(name)
                written.append(histories.write(history, out, name))
                progress.advance(task)
        return written

    async def work() -> list[Path]:
        server = await histories.open_server(address)
        return await (one(server, order_id) if order_id is not None else many(server, query or ""))

    written = _run(work())
    for path in written:
        typer.echo(str(path))
    if query is not None:
        console.print(f"exported {_histories(len(written))} to {out}")


def _table(outcomes: list[ReplayOutcome], sources: dict[str, str]) -> Table:
    """One row per history: OK or FAIL, and which history (with its status, from a server)."""
    table = Table(
        Column("replay", no_wrap=True),
        Column("history", overflow="fold"),
        *([Column("status", no_wrap=True)] if sources else []),
        box=None,
        pad_edge=False,
    )
    for outcome in outcomes:
        table.add_row(
            Text("OK", style="green") if outcome.ok else Text("FAIL", style="bold red"),
            Text(outcome.label),
            *([Text(sources.get(outcome.run_id, ""))] if sources else []),
        )
    return table


def _failures(console: Console, outcomes: list[ReplayOutcome]) -> None:
    for outcome in outcomes:
        if outcome.error is not None:
            console.print(
                Text.assemble("\n", (outcome.label, "bold"), ": ", (outcome.error, "red"))
            )


async def _each(loaded: list[WorkflowHistory]) -> AsyncIterator[WorkflowHistory]:
    for history in loaded:
        yield history


def replay_command(
    query: Annotated[
        str, typer.Option("--query", "-q", metavar="QUERY", help="Which workflows to replay.")
    ] = ORDER_WORKFLOWS,
    limit: Limit = DEFAULT_LIMIT,
    from_dir: Annotated[
        Path | None,
        typer.Option(
            "--dir",
            metavar="DIR",
            show_default=False,
            help="Replay the *.json histories under DIR instead of asking a server.",
        ),
    ] = None,
    address: Address = None,
) -> None:
    """Replay recent histories against this checkout's workflow: run before a deploy.

    Fetches the newest workflows the query matches, closed and running (at most
    --limit), and replays each against OrderWorkflow as the worker would run it.
    A FAIL is a change that would break such an order while it runs: make it
    behind workflow.patched (see docs/changing-the-workflow.md).
    Exit 1 on any FAIL, 2 if Temporal is down.

    Examples:

      orders replay

      orders replay --query 'ExecutionStatus = "Running"' --limit 1000

      orders replay --dir tests/replay/histories
    """
    console = Console()

    async def replay_all(source: AsyncIterator[WorkflowHistory], total: int) -> list[ReplayOutcome]:
        outcomes = []
        with _progress(Console(stderr=True)) as progress:
            task = progress.add_task("replaying", total=total)
            async for outcome in replay(source, quiet=True):
                outcomes.append(outcome)
                progress.advance(task)
        return outcomes

    async def from_server() -> tuple[list[ReplayOutcome], dict[str, str]]:
        server = await histories.open_server(address)
        executions: list[WorkflowExecution] = await histories.matching(server, query, limit)
        statuses = {e.run_id: e.status.name.lower() if e.status else "" for e in executions}
        return await replay_all(histories.fetch_all(server, executions), len(executions)), statuses

    async def from_files(directory: Path) -> list[ReplayOutcome]:
        loaded = {
            str(path.relative_to(directory)): histories.read(path)
            for path in histories.history_files(directory)
        }
        outcomes = await replay_all(_each(list(loaded.values())), len(loaded))
        # One at a time, in order: each outcome is its file's (two files may hold one run).
        return [
            replace(outcome, source=name) for name, outcome in zip(loaded, outcomes, strict=True)
        ]

    if from_dir is None:
        outcomes, statuses = _run(from_server())
    else:
        outcomes, statuses = _run(from_files(from_dir)), {}
    if not outcomes:
        nothing = f"no *.json under {from_dir}" if from_dir else f"no workflow matches {query!r}"
        typer.echo(f"nothing to replay: {nothing}", err=True)
        return
    console.print(_table(outcomes, statuses))
    _failures(console, outcomes)
    failed = sum(not outcome.ok for outcome in outcomes)
    if failed:
        console.print(
            Text(f"\n{failed} of {_histories(len(outcomes))} failed to replay", "bold red")
        )
        raise typer.Exit(1)
    console.print(f"\nreplayed {_histories(len(outcomes))}: all OK", style="green")
