"""`orders events ...`: re-feed the history of order events to one consumer."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cli import options
from cli.bus.connection import jetstream
from cli.events import replay
from cli.options import DEFAULT_NATS, NatsUrl, plural
from orders.bus import CONSUMERS

events_app = typer.Typer(
    help="Order events on the bus: re-feed them to one consumer.", no_args_is_help=True
)


_DURATION = re.compile(r"(\d+)([smhdw])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_point(text: str, *, now: datetime) -> datetime | int:
    """A point in the event stream: a stream sequence, a duration before `now`, an ISO time.

    `42` → sequence 42; `90m` → 90 minutes ago; `2024-05-01T10:00` → that local time.
    """
    text = text.strip()
    if text.isdigit():
        if int(text) < 1:
            raise ValueError("stream sequences start at 1")
        return int(text)
    if duration := _DURATION.fullmatch(text.lower()):
        return now - timedelta(**{_UNITS[duration[2]]: int(duration[1])})
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{text!r} is neither a stream sequence, a duration (30m, 1h, 2d) nor an ISO time"
        ) from None
    return moment if moment.tzinfo else moment.astimezone()


def _point(text: str, option: str, now: datetime) -> datetime | int:
    try:
        return parse_point(text, now=now)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=option) from None


@events_app.command("replay")
def replay_events(
    consumer: Annotated[
        str,
        typer.Option(metavar="NAME", show_default=False, help=f"Who: {', '.join(CONSUMERS)}."),
    ],
    since: Annotated[
        str,
        typer.Option(
            metavar="WHEN",
            show_default=False,
            help="From: a stream sequence (42), a duration ago (30m, 1h, 2d) or an ISO time "
            "(2024-05-01T10:00, local unless it has an offset).",
        ),
    ],
    until: Annotated[
        str | None, typer.Option(metavar="WHEN", help="To, included: as --since. Default: now.")
    ] = None,
    nats_url: NatsUrl = DEFAULT_NATS,
) -> None:
    """Re-feed one consumer the order events from a point on, as if they were new to it.

    For a consumer that had a bug or lost its store. The others see nothing; it
    applies each event once, so the events it already applied change nothing.
    Events published while this runs are not included.

    Examples:

      orders events replay --consumer loyalty --since 2h

      orders events replay --consumer analytics --since 2024-05-01 --until 2024-05-02

      orders events replay --consumer notification --since 1 --until 500
    """
    now = datetime.now().astimezone()
    start = _point(since, "--since", now)
    end = None if until is None else _point(until, "--until", now)
    stderr = Console(stderr=True)
    progress = Progress(
        TextColumn(f"re-feeding {consumer}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
        disable=not stderr.is_terminal,
    )
    task = progress.add_task("re-feeding", total=None)

    def advance(done: int, total: int) -> None:
        progress.update(task, completed=done, total=total)

    async def work() -> int:
        async with jetstream(nats_url) as js:
            return await replay.replay_events(js, consumer, start, end, progress=advance)

    with progress:
        count = options.run(work())
    typer.echo(f"re-fed {plural(count, 'event')} to {consumer}")
