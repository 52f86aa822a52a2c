"""`orders bench`: drive orders through the real API and measure them against the no-op limit."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from cli import credentials, options
from cli.payloads import cli_codec_env, cli_data_converter
from orders.bus import CONSUMERS
from orders.settings import get_settings
from orders.temporal import DEFAULT_ADDRESS
from tools.bench import drain_report
from tools.bench.drain import DRAINERS, drain_bench, plan
from tools.bench.drain import Progress as DrainProgress
from tools.bench.report import show, write_json
from tools.bench.run import Level, bench
from tools.bench.stack import Target, fresh_stack, running_stack
from tools.stack.settings import DevSettings
from workers.consumer.settings import ConsumerSettings

log = logging.getLogger("orders.bench")

REPORT_WIDTH = 120
"""Columns of the report when it goes to a file or a pipe, not a terminal."""
COMMIT_MODES = {"one": False, "batch": True}


def stop_on_signal() -> None:
    """SIGINT or SIGTERM cancels the run, so the stack it started is stopped, not orphaned.

    Only the first one counts: a second (a supervisor's `timeout` forwarding the same signal, an
    impatient Ctrl-C) must not interrupt the stopping itself and leave processes behind.
    """
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None

    def stop() -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, lambda: None)
        task.cancel()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)


@contextmanager
def _bar(console: Console) -> Iterator[tuple[Progress, Callable[[str, int], TaskID]]]:
    """A progress bar on a terminal; elsewhere one line per phase as it starts."""
    bar = Progress(
        TextColumn("{task.description:<28}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not console.is_terminal,
    )

    def phase(label: str, total: int) -> TaskID:
        if not console.is_terminal:
            console.print(f"bench: {label} ({total})")
        return bar.add_task(label, total=total)

    with bar:
        yield bar, phase


@contextmanager
def _progress(console: Console) -> Iterator[Callable[[str, int], Callable[[], None]]]:
    """Each phase's callback advances its bar by one (an order closed)."""
    with _bar(console) as (bar, phase):
        yield lambda label, total: partial(bar.advance, phase(label, total))


@contextmanager
def _drain_progress(console: Console) -> Iterator[DrainProgress]:
    """Each phase's callback sets how much of it is done (events drained)."""
    with _bar(console) as (bar, phase):

        def start(label: str, total: int) -> Callable[[int], None]:
            task = phase(label, total)
            return lambda done: bar.update(task, completed=done)

        yield start


def _drain(events: int, names: list[str], commits: list[str], out: Path | None) -> None:
    """`orders bench --consumers`: the drain bench (`tools.bench.drain`)."""
    if unknown := sorted(set(names) - set(DRAINERS)):
        raise typer.BadParameter(
            f"no consumer {', '.join(unknown)}: one of {', '.join(DRAINERS)}",
            param_hint="--consumer",
        )
    if unknown := sorted(set(commits) - set(COMMIT_MODES)):
        raise typer.BadParameter(
            f"no commit mode {', '.join(unknown)}: one or batch", param_hint="--commit"
        )
    modes = [COMMIT_MODES[mode] for mode in dict.fromkeys(commits)] or [
        ConsumerSettings.model_fields["batch_commit"].default
    ]
    folder = out or Path(".data") / "bench" / datetime.now().strftime("drain-%Y%m%d-%H%M%S")
    folder.mkdir(parents=True, exist_ok=True)
    console = Console(stderr=True)

    async def work() -> dict[str, Any]:
        stop_on_signal()
        with (
            _drain_progress(console) as phase,
            tempfile.TemporaryDirectory(prefix="orders-drain-") as data,
        ):
            return await drain_bench(
                events, plan(names, modes), Path(data), lambda line: console.print(line), phase
            )

    try:
        result = options.run(work())
    except asyncio.CancelledError:
        typer.echo("orders bench: stopped; no result written", err=True)
        raise typer.Exit(130) from None
    drain_report.write(result, folder)
    drain_report.show(Console(width=None if sys.stdout.isatty() else REPORT_WIDTH), result)
    typer.echo(f"wrote {folder / 'result.json'} and {folder / 'report.md'}")


def bench_command(
    count: Annotated[int, typer.Option(min=1, help="Orders per load level.")] = 200,
    concurrency: Annotated[
        list[int] | None,
        typer.Option(
            "--concurrency",
            "-c",
            min=1,
            help="Orders in flight at once; repeat for several levels (-c 1 -c 8).",
        ),
    ] = None,
    rate: Annotated[
        float | None,
        typer.Option(min=0.1, help="Instead of a concurrency: orders started per second."),
    ] = None,
    rounds: Annotated[
        int,
        typer.Option(
            min=1,
            help="Run each level this many times, alternating which phase goes first; its "
            "ratios are the medians of the rounds' (steadier on a busy machine).",
        ),
    ] = 1,
    warmup: Annotated[
        int, typer.Option(min=0, help="Unmeasured orders (and no-ops) before each level.")
    ] = 10,
    out: Annotated[
        Path | None,
        typer.Option(help="Directory of result.json and chart.png [default: .data/bench/<time>]."),
    ] = None,
    saga: Annotated[
        bool,
        typer.Option(
            help="Also run the order saga with free participants (answering at once, no API, no "
            "consumers): what the workflow alone costs the engine, between limit and application.",
        ),
    ] = True,
    noop_local_activities: Annotated[
        bool | None,
        typer.Option(
            help="Run the no-op limit's participant steps as local activities "
            "[default: as ORDERS_LOCAL_ACTIVITIES runs the orders].",
            show_default=False,
        ),
    ] = None,
    api_url: Annotated[
        str | None,
        typer.Option(
            metavar="URL",
            help="Bench a stack already running (with --temporal and --nats) instead of a fresh "
            "one; CPU per process is then not measured.",
        ),
    ] = None,
    temporal: Annotated[
        str, typer.Option(metavar="HOST:PORT", help="With --api-url: its Temporal server.")
    ] = DEFAULT_ADDRESS,
    nats: options.NatsUrl = options.DEFAULT_NATS,
    consumers: Annotated[
        bool,
        typer.Option(
            "--consumers",
            help="Instead: drain a backlog of OrderCompleted events with each consumer, against "
            "a no-op consumer (events/s, CPU per event, catch-up after an outage).",
        ),
    ] = False,
    events: Annotated[
        int, typer.Option(min=1, help="With --consumers: events in the backlog.")
    ] = 10_000,
    consumer: Annotated[
        list[str] | None,
        typer.Option(
            metavar="NAME",
            help=f"With --consumers: drain with this one ({', '.join(DRAINERS)}); repeatable "
            "[default: all].",
        ),
    ] = None,
    commit: Annotated[
        list[str] | None,
        typer.Option(
            metavar="MODE",
            help="With --consumers: run the database consumers and the no-op with this commit "
            "mode (one, batch); repeat for both [default: their setting's default].",
        ),
    ] = None,
) -> None:
    """Throughput, latency and CPU per order of the real stack, against a no-op workflow.

    Starts a fresh local stack on free ports in a temporary directory, plus:
      - a worker of a no-op workflow of the same shape (four activities),
        with the orchestrator's settings: the limit;
      - with --saga (the default), a second orchestrator worker whose
        participants answer at once: the saga with free participants.

    Each level runs the limit and the saga (bare start_workflow) and the
    application (POST /orders), and reports each and its ratios to the limit.
    Worker tuning comes from the ORDERS_* environment (see docs/benchmarks.md).

    Examples:

      orders bench

      orders bench --count 50 -c 1 -c 8

      orders bench --count 100 --rounds 3 -c 8

      orders bench --rate 20 --count 400

    With --consumers, how fast each side-effect consumer drains a backlog:

      orders bench --consumers --commit one --commit batch
    """
    if consumers:
        _drain(events, consumer or list(DRAINERS), commit or [], out)
        return
    local = noop_local_activities
    if local is None:
        local = get_settings().local_activities
    levels = (
        [Level(count, rate=rate)]
        if rate is not None
        else [Level(count, concurrency=c) for c in concurrency or [8]]
    )
    folder = out or Path(".data") / "bench" / datetime.now().strftime("%Y%m%d-%H%M%S")
    folder.mkdir(parents=True, exist_ok=True)
    console = Console(stderr=True)

    async def work() -> dict[str, Any]:
        stop_on_signal()
        with _progress(console) as progress:
            if api_url is None:
                with tempfile.TemporaryDirectory(prefix="orders-bench-") as data:
                    async with fresh_stack(
                        Path(data), lambda line: console.print(line), saga=saga
                    ) as target:
                        return await bench(
                            target,
                            levels,
                            warmup=warmup,
                            local_activities=local,
                            progress=progress,
                            rounds=rounds,
                            saga=saga,
                        )
            defaults = DevSettings()
            target = Target(
                api=api_url,
                temporal=temporal,
                nats=nats,
                consumers={c: f"http://127.0.0.1:{defaults.port_of(c)}" for c in CONSUMERS},
                api_key=credentials.api_key(),
                service_token=credentials.service_token(),
                converter=cli_data_converter(),
            )
            async with running_stack(target, folder, saga=saga, env=cli_codec_env()) as running:
                return await bench(
                    running,
                    levels,
                    warmup=warmup,
                    local_activities=local,
                    progress=progress,
                    rounds=rounds,
                    saga=saga,
                )

    try:
        result = options.run(work())
    except asyncio.CancelledError:
        typer.echo("orders bench: stopped; no result written", err=True)
        raise typer.Exit(130) from None
    write_json(result, folder / "result.json")
    from tools.bench.chart import write_chart  # matplotlib: only when a chart is written

    write_chart(result, folder / "chart.png")
    # Three phases and two ratios need more than the 80 columns rich assumes off a terminal.
    show(Console(width=None if sys.stdout.isatty() else REPORT_WIDTH), result)
    typer.echo(f"wrote {folder / 'result.json'} and {folder / 'chart.png'}")
