"""`orders keys create|list|revoke`: manage the API's key file (`ORDERS_API_KEYS_FILE`).

The file holds digests only: a new key is printed once, at creation, and cannot be shown again.
The API reads the file again when it changes, so a revoked key stops working at once.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from api.auth.keys import KeyFile
from api.auth.scopes import Scope
from cli.credentials import data_dir

keys_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)

KEYS_FILE = "api-keys.json"


def default_keys_file() -> Path:
    return Path(os.environ.get("ORDERS_API_KEYS_FILE") or data_dir() / KEYS_FILE)


KeysFile = Annotated[
    Path | None,
    typer.Option(
        "--file",
        metavar="PATH",
        help="The key file; default: $ORDERS_API_KEYS_FILE, else $ORDERS_DATA_DIR/api-keys.json.",
    ),
]


@keys_app.command("create")
def create(
    customer: Annotated[
        str | None,
        typer.Option(metavar="ID", help="The customer whose orders the key may place and read."),
    ] = None,
    scope: Annotated[
        list[Scope] | None,
        typer.Option(help="A scope (repeat); default: place, read, cancel."),
    ] = None,
    label: Annotated[str, typer.Option(help="What the key is for, shown by `list`.")] = "",
    file: KeysFile = None,
) -> None:
    """Create a key and print it, once. Without --customer it must have orders:operate.

    Examples:

      orders keys create --customer cust-42

      orders keys create --scope orders:operate --label "support desk"
    """
    scopes = frozenset(scope or (Scope.PLACE, Scope.READ, Scope.CANCEL))
    try:
        entry, key = KeyFile(file or default_keys_file()).create(scopes, customer, label)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--customer") from None
    typer.echo(key)
    typer.echo(
        f"key {entry.id}: {' '.join(entry.scopes)} for {customer or 'every customer'}; "
        "store it now, it is not shown again",
        err=True,
    )


@keys_app.command("list")
def list_keys(file: KeysFile = None) -> None:
    """The keys: id, customer, scopes, label, created (never the keys themselves)."""
    table = Table("id", "customer", "scopes", "label", "created")
    for entry in KeyFile(file or default_keys_file()).load().values():
        table.add_row(
            entry.id,
            entry.customer_id or "(operator)",
            " ".join(entry.scopes),
            entry.label,
            entry.created_at[:19],
        )
    Console().print(table)


@keys_app.command("revoke")
def revoke(
    key_id: Annotated[str, typer.Argument(help="The key's id, as `list` shows it.")],
    file: KeysFile = None,
) -> None:
    """Revoke a key: the API refuses it from its next request on."""
    if not KeyFile(file or default_keys_file()).revoke(key_id):
        typer.echo(f"error: no key {key_id}", err=True)
        raise typer.Exit(1)
    typer.echo(f"revoked {key_id}")
