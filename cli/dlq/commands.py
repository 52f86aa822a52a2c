"""`orders dlq ...`: the events a consumer gave up on, listed, re-fed or purged."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.console import Console, JustifyMethod
from rich.table import Column, Table
from rich.text import Text

from cli import options
from cli.bus.connection import jetstream
from cli.dlq import dead_letters
from cli.dlq.dead_letters import DeadLetter
from cli.options import DEFAULT_NATS, NatsUrl, plural
from orders.bus import CONSUMERS

dlq_app = typer.Typer(
    help="Dead letters: the events a consumer gave up on. List, re-feed or purge them.",
    no_args_is_help=True,
)


ConsumerOption = Annotated[
    str | None,
    typer.Option(
        "--consumer", metavar="NAME", help=f"Only this consumer's: {', '.join(CONSUMERS)}."
    ),
]


def _of(consumer: str | None) -> str:
    return f" of {consumer}" if consumer else ""


@dlq_app.command("list")
def list_dead_letters(
    consumer: ConsumerOption = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Show only the oldest N.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    nats_url: NatsUrl = DEFAULT_NATS,
) -> None:
    """List dead letters, oldest first: which consumer gave up on which event, and why.

    Examples:

      orders dlq list

      orders dlq list --consumer loyalty

      orders dlq list --json | jq -r .reason
    """

    async def work() -> list[DeadLetter]:
        async with jetstream(nats_url) as js:
            return await dead_letters.list_dead_letters(js, consumer, limit)

    letters = options.run(work())
    if as_json:
        for letter in letters:
            typer.echo(json.dumps(letter.as_json()))
    elif not letters:
        typer.echo(f"no dead letters{_of(consumer)}")
    else:
        Console().print(_table(letters))


def _table(letters: list[DeadLetter]) -> Table:
    rows = [
        (
            str(letter.seq),
            letter.time.astimezone().strftime("%Y-%m-%d %H:%M:%S"),
            Text(letter.consumer),
            Text(letter.order_id or letter.order_token),
            Text(letter.event_type or "unparsable", style="" if letter.event_type else "red"),
            "" if letter.deliveries is None else str(letter.deliveries),
            Text(letter.reason, style="dim"),
        )
        for letter in letters
    ]

    def whole(header: str, index: int, justify: JustifyMethod = "left") -> Column:
        """A column never cut: the reason folds instead."""
        width = max(len(str(row[index])) for row in rows)
        return Column(header, justify=justify, no_wrap=True, min_width=max(width, len(header)))

    table = Table(
        whole("seq", 0, justify="right"),
        whole("time", 1),
        whole("consumer", 2),
        whole("order", 3),
        whole("event type", 4),
        whole("deliveries", 5, justify="right"),
        Column("reason", overflow="fold"),
        box=None,
        pad_edge=False,
    )
    for row in rows:
        table.add_row(*row)
    return table


@dlq_app.command("replay")
def replay_dead_letters(
    seq: Annotated[
        int | None,
        typer.Argument(metavar="SEQ", min=1, show_default=False, help="The dead letter's seq."),
    ] = None,
    replay_all: Annotated[bool, typer.Option("--all", help="Every dead letter.")] = False,
    consumer: ConsumerOption = None,
    nats_url: NatsUrl = DEFAULT_NATS,
) -> None:
    """Re-feed dead letters to the consumer that gave up on them, then delete them.

    Give a SEQ from `orders dlq list`, or --all (with --consumer: only its).
    Only that consumer sees the event again, on orders.redeliver.<consumer>.<order>;
    it applies each event once, so re-feeding one it has applied since is harmless.

    Examples:

      orders dlq replay 42

      orders dlq replay --all --consumer loyalty
    """
    if (seq is None) == (not replay_all):
        both = ", not both" if replay_all else ""
        raise typer.BadParameter(f"give a SEQ or --all{both}", param_hint=["SEQ", "--all"])
    if seq is not None and consumer:
        raise typer.BadParameter("goes with --all, not with a SEQ", param_hint="--consumer")

    async def work() -> list[tuple[int, str]]:
        async with jetstream(nats_url) as js:
            if seq is not None:
                return [(seq, await dead_letters.replay_dead_letter(js, seq))]
            letters = await dead_letters.replay_all(js, consumer)
            return [(letter.seq, letter.redeliver_subject) for letter in letters]

    refed = options.run(work())
    for letter_seq, subject in refed:
        typer.echo(f"re-fed dead letter {letter_seq} to {subject.split('.')[2]} ({subject})")
    if seq is None:
        typer.echo(f"re-fed {plural(len(refed), 'dead letter')}{_of(consumer)}")


def _interactive() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


@dlq_app.command("purge")
def purge_dead_letters(
    consumer: ConsumerOption = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    nats_url: NatsUrl = DEFAULT_NATS,
) -> None:
    """Delete dead letters for good, without re-feeding them.

    Asks first, unless --yes; with no terminal to ask on and no --yes, refuses (exit 1).

    Examples:

      orders dlq purge --consumer analytics

      orders dlq purge --yes
    """
    if not yes:
        if not _interactive():
            typer.echo("error: not purging without --yes: no terminal to confirm on", err=True)
            raise typer.Exit(1)

        async def count() -> int:
            async with jetstream(nats_url) as js:
                return await dead_letters.count_dead_letters(js, consumer)

        found = options.run(count())
        if not found:
            typer.echo(f"no dead letters{_of(consumer)}")
            return
        typer.confirm(
            f"delete {plural(found, 'dead letter')}{_of(consumer)} for good?",
            abort=True,
        )

    async def work() -> int:
        async with jetstream(nats_url) as js:
            return await dead_letters.purge_dead_letters(js, consumer)

    typer.echo(f"purged {plural(options.run(work()), 'dead letter')}{_of(consumer)}")
