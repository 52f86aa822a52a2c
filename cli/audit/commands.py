"""`orders audit`: do Temporal, the participants, the stream and the consumers agree?"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.table import Column, Table

from cli import credentials, options
from cli.audit.checks import AuditReport, audit
from cli.audit.evidence import Sources
from cli.bus.connection import jetstream
from cli.errors import Unreachable
from cli.events.commands import parse_point
from cli.options import DEFAULT_NATS, NatsUrl, plural
from cli.order.client import CALL_TIMEOUT_SECONDS
from cli.payloads import cli_data_converter
from orders.settings import Settings
from orders.temporal import DEFAULT_ADDRESS, connect


def _url(envvar: str, what: str) -> Any:
    return typer.Option(envvar=envvar, metavar="URL", help=f"The {what}.")


_defaults = Settings()
InventoryUrl = Annotated[str, _url("ORDERS_INVENTORY_URL", "inventory")]
PaymentUrl = Annotated[str, _url("ORDERS_PAYMENT_URL", "payment service")]
ShippingUrl = Annotated[str, _url("ORDERS_SHIPPING_URL", "shipping")]
NotificationUrl = Annotated[str, _url("ORDERS_NOTIFICATION_URL", "notification consumer")]
LoyaltyUrl = Annotated[str, _url("ORDERS_LOYALTY_URL", "loyalty")]
AnalyticsUrl = Annotated[str, _url("ORDERS_ANALYTICS_URL", "analytics")]


def audit_command(
    since: Annotated[
        str | None,
        typer.Option(
            metavar="WHEN",
            help="Only orders started since: a duration ago (30m, 1h, 2d) or an ISO time.",
        ),
    ] = None,
    stuck_after: Annotated[
        float,
        typer.Option(metavar="SECONDS", min=1, help="A running order idle this long is stuck."),
    ] = 300.0,
    in_flight: Annotated[
        bool,
        typer.Option(
            "--in-flight",
            help="The system is busy: judge only what can never heal (records of settled "
            "orders, orphans, anything twice); leave stuck orders and counts still to come.",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    temporal: Annotated[
        str, typer.Option(envvar="TEMPORAL_ADDRESS", metavar="HOST:PORT", help="Temporal.")
    ] = DEFAULT_ADDRESS,
    inventory_url: InventoryUrl = _defaults.inventory_url,
    payment_url: PaymentUrl = _defaults.payment_url,
    shipping_url: ShippingUrl = _defaults.shipping_url,
    notification_url: NotificationUrl = "http://127.0.0.1:8201",
    loyalty_url: LoyaltyUrl = "http://127.0.0.1:8202",
    analytics_url: AnalyticsUrl = "http://127.0.0.1:8203",
    nats_url: NatsUrl = DEFAULT_NATS,
) -> None:
    """Check every order against every source: exit 1 on any violation, 2 if one is unreachable.

    A COMPLETED order has one captured charge equal to its total, one reservation, one
    shipment, one OrderCompleted, one email and one loyalty entry; a FAILED or CANCELLED one
    has everything undone, one event, one email and no points; nothing exists without an
    order; no running order is idle longer than --stuck-after. Run it on a quiet system, or
    with --in-flight on a busy one.

    Examples:

      orders audit

      orders audit --in-flight --since 10m

      orders audit --since 1h --json | jq '.violations[]'
    """
    now = datetime.now(UTC)
    start = _since(since, now)
    urls = {
        "inventory": inventory_url,
        "payment": payment_url,
        "shipping": shipping_url,
        "notification": notification_url,
        "loyalty": loyalty_url,
        "analytics": analytics_url,
    }

    async def work() -> AuditReport:
        async with sources(temporal, urls, nats_url) as found:
            return await audit(
                found,
                since=start,
                stuck_after=timedelta(seconds=stuck_after),
                now=now,
                in_flight=in_flight,
            )

    report = options.run(work())
    if as_json:
        typer.echo(json.dumps(report.as_json()))
    else:
        show_report(Console(), report)
    raise typer.Exit(exit_code(report))


def exit_code(report: AuditReport) -> int:
    return 1 if report.violations else 0


def _since(text: str | None, now: datetime) -> datetime | None:
    if text is None:
        return None
    try:
        point = parse_point(text, now=now)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--since") from None
    if isinstance(point, int):
        raise typer.BadParameter("a duration or an ISO time, not a number", param_hint="--since")
    return point


@asynccontextmanager
async def sources(temporal: str, urls: dict[str, str], nats_url: str) -> AsyncIterator[Sources]:
    """Connect to everything the audit reads, for one run."""
    converter = cli_data_converter()
    try:
        client = await connect(converter=converter, target_host=temporal)
    except RuntimeError as exc:
        raise Unreachable(f"Temporal at {temporal} does not answer: {exc}") from exc
    async with AsyncExitStack() as stack:
        js = await stack.enter_async_context(jetstream(nats_url))
        http = {
            name: await stack.enter_async_context(
                httpx.AsyncClient(
                    base_url=url,
                    timeout=CALL_TIMEOUT_SECONDS,
                    transport=options.transport(),
                    headers=credentials.bearer(credentials.service_token()),
                )
            )
            for name, url in urls.items()
        }
        yield Sources(temporal=client, js=js, http=http)


def show_report(console: Console, report: AuditReport) -> None:
    if report.violations:
        table = Table("order", "invariant", Column("detail", overflow="fold"), title="violations")
        for violation in report.violations:
            table.add_row(violation.order_id, violation.invariant, violation.detail)
        console.print(table)
    totals = Table("status", Column("orders", justify="right"), box=None, pad_edge=False)
    for status, count in sorted(report.statuses.items()):
        totals.add_row(status, str(count))
    console.print(totals)
    verdict = plural(len(report.violations), "violation")
    console.print(f"{plural(len(report.orders), 'order')} audited, {verdict}")
